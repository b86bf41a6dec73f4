import CallerIdentity
import Foundation
import RPC
import ServiceSupport

/// Request checks, each failing INVALID_ARGUMENT with a message naming the field, and the field
/// named again in a `google.rpc.BadRequest` (ServiceSupport's `FieldViolations`).
enum EngagementLimits {
    /// Most ids in BatchGetCounts and WatchCounts.
    static let maxVideoIDs = 100
    /// Longest anonymous session id.
    static let maxSessionIDLength = 64

    /// The canonical (lower-case) form of a video UUID.
    static func videoID(_ text: String, field: String = "video_id") throws(RPCError) -> String {
        guard let id = UUID(hyphenated: text) else {
            throw Self.invalid(field, "\(field) must be a UUID")
        }
        return id.lowercasedString
    }

    /// Canonical, de-duplicated ids in request order; `minimum`...100 of them.
    static func videoIDs(_ texts: [String], minimum: Int) throws(RPCError) -> [String] {
        guard texts.count <= Self.maxVideoIDs else {
            throw Self.invalid("video_ids", "video_ids holds at most \(Self.maxVideoIDs) ids")
        }
        var seen = Set<String>()
        var ids: [String] = []
        for text in texts {
            let id = try Self.videoID(text, field: "video_ids")
            if seen.insert(id).inserted { ids.append(id) }
        }
        guard ids.count >= minimum else {
            throw Self.invalid("video_ids", "video_ids must hold at least \(minimum) id")
        }
        return ids
    }

    /// An anonymous viewer's session id: 1-64 characters of [A-Za-z0-9_-].
    static func sessionID(_ text: String) throws(RPCError) -> String {
        guard !text.isEmpty else {
            throw Self.invalid("session_id", "session_id is required for anonymous heartbeats")
        }
        let allowed = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
        guard allowed, text.utf8.count <= Self.maxSessionIDLength else {
            throw Self.invalid("session_id", "session_id must be 1-64 characters of [A-Za-z0-9_-]")
        }
        return text
    }

    /// INVALID_ARGUMENT with `message`, naming `field` in a `google.rpc.BadRequest` as well.
    static func invalid(_ field: String, _ message: String) -> RPCError {
        FieldViolations(field, message).error(message: message)
    }
}
