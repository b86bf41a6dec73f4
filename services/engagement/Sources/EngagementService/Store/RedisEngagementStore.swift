package import Foundation
package import Redis

/// ``EngagementStore`` on Redis: one Lua script per change (``EngagementScripts/write``), one
/// MULTI/EXEC round trip per read, however many videos it covers.
///
/// Live viewers are the members of the viewers set whose last heartbeat is within the presence
/// window before `now` (exclusive): a heartbeat at t counts until t + window.
package struct RedisEngagementStore: EngagementStore {
    private let client: any RedisClient
    private let presenceWindowMilliseconds: Int64

    /// - Parameters:
    ///   - client: a ``RedisLoopClient`` (or a connection in tests); its command timeout bounds every call.
    ///   - presenceWindow: how long a heartbeat counts (60 s in production).
    package init(client: any RedisClient, presenceWindow: Duration = .seconds(60)) {
        self.client = client
        let (seconds, attoseconds) = presenceWindow.components
        self.presenceWindowMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    package func apply(_ change: EngagementChange, to videoID: String, at now: Date) async throws -> ChangeResult {
        let keys = EngagementKeys(videoID: videoID)
        let member: String =
            switch change {
            case .view, .comment: ""
            case .like(let user), .unlike(let user): user
            case .heartbeat(let viewer): viewer
            }
        let reply = try await self.client.evaluate(
            EngagementScripts.write,
            keys: [.string(keys.counters), .string(keys.likes), .string(keys.viewers)],
            arguments: [
                .string(change.event), .string(member), .int(Self.milliseconds(now)),
                .int(self.presenceWindowMilliseconds), .string(keys.channel), .string(videoID),
            ])
        guard let values = reply.array?.compactMap(\.int), values.count == 6 else {
            throw RedisError(code: .protocolError, message: "unexpected reply from the engagement script: \(reply)")
        }
        return ChangeResult(
            counts: StoredCounts(
                views: values[0], likes: values[1], comments: values[2], liveViewers: values[3], seq: values[5]),
            changed: values[4] != 0)
    }

    package func counts(
        of videoIDs: [String], likedBy user: String?, at now: Date
    ) async throws -> [String: StoredCounts] {
        guard !videoIDs.isEmpty else { return [:] }
        let liveSince = "(\(Self.milliseconds(now) - self.presenceWindowMilliseconds)"
        var commands: [RedisCommand] = []
        commands.reserveCapacity(videoIDs.count * 4)
        for videoID in videoIDs {
            let keys = EngagementKeys(videoID: videoID)
            commands.append(RedisCommand("HMGET", .string(keys.counters), "views", "comments", "seq"))
            commands.append(RedisCommand("SCARD", .string(keys.likes)))
            commands.append(RedisCommand("ZCOUNT", .string(keys.viewers), .string(liveSince), "+inf"))
            if let user { commands.append(RedisCommand("SISMEMBER", .string(keys.likes), .string(user))) }
        }
        // MULTI/EXEC in one write: one round trip, and one consistent snapshot of all the videos.
        let replies = try await self.client.transaction(commands)
        let stride = user == nil ? 3 : 4
        guard replies.count == videoIDs.count * stride else {
            throw RedisError(code: .protocolError, message: "unexpected number of replies: \(replies.count)")
        }
        var result: [String: StoredCounts] = [:]
        result.reserveCapacity(videoIDs.count)
        for (index, videoID) in videoIDs.enumerated() {
            let base = index * stride
            let fields = try Self.check(replies[base]).array ?? []
            func field(_ position: Int) -> Int64 { fields.count > position ? fields[position].int ?? 0 : 0 }
            var counts = StoredCounts(
                views: field(0), likes: try Self.check(replies[base + 1]).int ?? 0, comments: field(1),
                liveViewers: try Self.check(replies[base + 2]).int ?? 0, seq: field(2))
            if user != nil { counts.liked = try Self.check(replies[base + 3]).int == 1 }
            result[videoID] = counts
        }
        return result
    }

    /// An error reply inside EXEC's array becomes a thrown error.
    private static func check(_ value: RESPValue) throws -> RESPValue {
        if case .error(let message) = value { throw RedisError(code: .serverError, message: message) }
        return value
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
