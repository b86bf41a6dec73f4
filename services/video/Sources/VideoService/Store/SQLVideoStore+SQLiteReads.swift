import CallerIdentity
import Foundation
import ServiceSupport

/// The store's reads on SQLite, through ``SQLiteReads``: statements prepared once per connection,
/// run on the calling event loop, rows decoded column by column (no Codable, no string parsing but
/// the tags' JSON, read without a decoder when it is plain).
extension SQLVideoStore {
    /// The result columns every read selects, in the order ``record(_:)`` reads them.
    static let selectColumns = columns.joined(separator: ", ")

    static let byID = SQLiteReads.Query("SELECT \(selectColumns) FROM videos WHERE id = ?")
    /// The ids come as one JSON array of strings, so one statement serves any number of them.
    static let byIDs = SQLiteReads.Query(
        "SELECT \(selectColumns) FROM videos WHERE id IN (SELECT value FROM json_each(?))")
    /// One statement per combination of filters (live, owner, adult), in ``listQuery(_:)``'s order.
    static let lists: [SQLiteReads.Query] = (0..<8).map { flags -> SQLiteReads.Query in
        var conditions: [String] = []
        if flags & 1 != 0 { conditions.append("is_live = ?") }
        if flags & 2 != 0 { conditions.append("owner_id = ?") }
        if flags & 4 != 0 { conditions.append("is_adult = 0") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return SQLiteReads.Query(
            "SELECT \(selectColumns) FROM videos\(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?")
    }

    func video(id: UUID, reads: SQLiteReads) async throws -> VideoRecord? {
        try await reads.first(Self.byID, [.uuid(id)], Self.record)
    }

    func videos(ids: [UUID], reads: SQLiteReads) async throws -> [VideoRecord] {
        // Hyphenated hex needs no escaping inside a JSON string.
        let list = "[" + ids.map { "\"\($0.lowercasedString)\"" }.joined(separator: ",") + "]"
        return try await reads.query(Self.byIDs, [.text(list)], Self.record)
    }

    func list(_ query: VideoQuery, reads: SQLiteReads) async throws -> [VideoRecord] {
        var flags = 0
        var binds: [SQLiteReads.Bind] = []
        binds.reserveCapacity(4)
        if let live = query.live {
            flags |= 1
            binds.append(.bool(live))
        }
        if let owner = query.ownerID {
            flags |= 2
            binds.append(.uuid(owner))
        }
        if !query.includeAdult { flags |= 4 }
        binds.append(.integer(Int64(query.limit)))
        binds.append(.integer(Int64(query.offset)))
        return try await reads.query(Self.lists[flags], binds, Self.record)
    }

    /// A row of ``selectColumns``.
    @Sendable static func record(_ row: SQLiteReads.Row) throws -> VideoRecord {
        guard let id = row.uuid(0), let owner = row.uuid(1) else {
            throw DatabaseError(code: .other, cause: CorruptRow(column: "id"))
        }
        guard let duration = Int32(exactly: row.int64(6)) else {
            throw DatabaseError(code: .other, cause: CorruptRow(column: "duration_seconds"))
        }
        return VideoRecord(
            id: id, ownerID: owner, title: row.string(2), description: row.string(3), thumbnailURL: row.string(4),
            streamURL: row.string(5), durationSeconds: duration, isLive: row.bool(7), isAdult: row.bool(8),
            tags: try row.withText(9) { try VideoTags.decode($0) }, createdAt: row.int64(10),
            updatedAt: row.int64(11))
    }
}
