package import Foundation
package import Redis

/// ``EngagementStore`` on Redis: one Lua script per change (``EngagementScripts/write``), one
/// read-only script per read (``EngagementScripts/read``), however many videos it covers.
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
        let values = try await self.read(videoIDs, likedBy: user, at: now)
        var result: [String: StoredCounts] = [:]
        result.reserveCapacity(videoIDs.count)
        for (index, videoID) in videoIDs.enumerated() {
            result[videoID] = try Self.counts(in: values, at: index * Self.valuesPerVideo)
        }
        return result
    }

    package nonisolated(nonsending) func counts(
        ofVideo videoID: String, likedBy user: String?, at now: Date
    ) async throws -> StoredCounts {
        try Self.counts(in: try await self.read(CollectionOfOne(videoID), likedBy: user, at: now), at: 0)
    }

    /// How many integers ``EngagementScripts/read`` answers per video.
    private static let valuesPerVideo = 6

    /// One EVALSHA of the read script for all of `videoIDs`: one command, one round trip, one
    /// consistent snapshot.
    private nonisolated(nonsending) func read(
        _ videoIDs: some Collection<String>, likedBy user: String?, at now: Date
    ) async throws -> [RESPValue] {
        var keys: [RESPArgument] = []
        keys.reserveCapacity(videoIDs.count * 3)
        for videoID in videoIDs {
            let videoKeys = EngagementKeys(videoID: videoID)
            keys.append(.string(videoKeys.counters))
            keys.append(.string(videoKeys.likes))
            keys.append(.string(videoKeys.viewers))
        }
        let liveSince = Self.milliseconds(now) - self.presenceWindowMilliseconds
        let reply = try await self.client.evaluate(
            EngagementScripts.read, keys: keys, arguments: [.int(liveSince), .string(user ?? "")])
        guard case .array(let values) = reply, values.count == videoIDs.count * Self.valuesPerVideo else {
            throw RedisError(code: .protocolError, message: "unexpected reply from the counts script: \(reply)")
        }
        return values
    }

    /// The counts at `base` in the read script's flat reply.
    private static func counts(in values: [RESPValue], at base: Int) throws -> StoredCounts {
        func value(_ offset: Int) throws -> Int64 {
            guard case .integer(let value) = values[base + offset] else {
                throw RedisError(code: .protocolError, message: "the counts script answered a non-integer")
            }
            return value
        }
        return StoredCounts(
            views: try value(0), likes: try value(1), comments: try value(2), liveViewers: try value(3),
            liked: try value(5) == 1, seq: try value(4))
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
