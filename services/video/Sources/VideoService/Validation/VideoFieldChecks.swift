import CallerIdentity
package import Foundation
package import ServiceSupport

/// The video service's field checks, on the shared collector (ServiceSupport's
/// `FieldViolations`, which fails with a `google.rpc.BadRequest` the gateway renders).
extension FieldViolations {
    /// Checks a text field: length in Unicode scalars within `length`, not blank when required,
    /// and no control characters (but tab, CR and LF when `multiline`).
    package mutating func text(
        _ value: String, field: String, length: ClosedRange<Int>, multiline: Bool = false
    ) {
        let count = value.unicodeScalars.count
        if count < length.lowerBound {
            self.add(field, length.lowerBound == 1 ? "is required" : "must be at least \(length.lowerBound) characters")
            return
        }
        if count > length.upperBound {
            self.add(field, "must be at most \(length.upperBound) characters")
            return
        }
        if length.lowerBound > 0 && value.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            self.add(field, "must not be blank")
            return
        }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\t", "\n", "\r"] : []
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) })
        {
            self.add(field, "must not contain control characters")
        }
    }

    /// Checks a URL field: empty, or an absolute http, https or rtmp URL with a host, at most 2048 characters.
    package mutating func url(_ value: String, field: String) {
        guard !value.isEmpty else { return }
        guard value.unicodeScalars.count <= VideoLimits.urlMaxLength else {
            self.add(field, "must be at most \(VideoLimits.urlMaxLength) characters")
            return
        }
        let schemes = VideoLimits.urlSchemes.sorted().joined(separator: ", ")
        guard
            !value.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control
            }),
            let components = URLComponents(string: value),
            let scheme = components.scheme?.lowercased(), VideoLimits.urlSchemes.contains(scheme),
            let host = components.host, !host.isEmpty
        else {
            self.add(field, "must be an absolute URL with a host and one of the schemes \(schemes)")
            return
        }
    }

    /// Checks tags (count, each tag's text) and returns them without duplicates, in order.
    package mutating func tags(_ tags: [String], field: String = "tags") -> [String] {
        if tags.count > VideoLimits.maxTags {
            self.add(field, "must have at most \(VideoLimits.maxTags) tags")
            return []
        }
        var seen = Set<String>()
        var unique: [String] = []
        for (index, tag) in tags.enumerated() {
            self.text(tag, field: "\(field)[\(index)]", length: VideoLimits.tagLength)
            if seen.insert(tag).inserted { unique.append(tag) }
        }
        return unique
    }

    /// Checks a duration: 0 or more seconds.
    package mutating func duration(_ value: Int32, field: String = "duration_seconds") {
        if value < 0 { self.add(field, "must be 0 or more") }
    }

    /// Parses a required UUID field; adds a violation and returns nil when malformed.
    package mutating func uuid(_ value: String, field: String) -> UUID? {
        if value.isEmpty {
            self.add(field, "is required")
            return nil
        }
        guard let id = Self.parseUUID(value) else {
            self.add(field, "must be a UUID")
            return nil
        }
        return id
    }

    /// A hyphenated UUID (36 characters, either case); nil otherwise.
    package static func parseUUID(_ value: String) -> UUID? {
        UUID(hyphenated: value)
    }
}
