package import Foundation

/// One page of a list: filters, visibility and window.
package struct VideoQuery: Sendable, Hashable {
    /// Rows to return at most.
    package var limit: Int
    /// Rows to skip.
    package var offset: Int
    /// Only live (true) or only recorded (false) videos; nil for both.
    package var live: Bool?
    /// Only this owner's videos; nil for everyone's.
    package var ownerID: UUID?
    /// Whether adult videos may be listed.
    package var includeAdult: Bool

    package init(limit: Int, offset: Int = 0, live: Bool? = nil, ownerID: UUID? = nil, includeAdult: Bool = false) {
        self.limit = limit
        self.offset = offset
        self.live = live
        self.ownerID = ownerID
        self.includeAdult = includeAdult
    }

    /// Whether `video` passes the filters and visibility (not the window).
    package func matches(_ video: VideoRecord) -> Bool {
        if let live, video.isLive != live { return false }
        if let ownerID, video.ownerID != ownerID { return false }
        return self.includeAdult || !video.isAdult
    }
}
