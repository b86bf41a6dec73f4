/// The documented bounds of the video API (issue 4, video.proto).
package enum VideoLimits {
    package static let titleLength = 1...200
    package static let descriptionMaxLength = 5000
    package static let urlMaxLength = 2048
    /// Schemes accepted for thumbnail and stream URLs.
    package static let urlSchemes: Set<String> = ["http", "https", "rtmp"]
    package static let maxTags = 20
    package static let tagLength = 1...32
    package static let pageSize = 1...100
    package static let defaultPageSize = 20
    /// The deepest offset a list accepts: pages are browsable to here, no further (bounded scans).
    package static let maxOffset = 10_000
    package static let maxBatchIDs = 100
}
