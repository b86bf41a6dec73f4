/// The fields an update sets; nil leaves a field as it is.
package struct VideoChanges: Sendable, Hashable {
    package var title: String?
    package var description: String?
    package var thumbnailURL: String?
    package var streamURL: String?
    package var durationSeconds: Int32?
    package var isLive: Bool?
    package var isAdult: Bool?
    package var tags: [String]?

    package init(
        title: String? = nil, description: String? = nil, thumbnailURL: String? = nil, streamURL: String? = nil,
        durationSeconds: Int32? = nil, isLive: Bool? = nil, isAdult: Bool? = nil, tags: [String]? = nil
    ) {
        self.title = title
        self.description = description
        self.thumbnailURL = thumbnailURL
        self.streamURL = streamURL
        self.durationSeconds = durationSeconds
        self.isLive = isLive
        self.isAdult = isAdult
        self.tags = tags
    }

    /// True when the update sets nothing.
    package var isEmpty: Bool { self == VideoChanges() }
}
