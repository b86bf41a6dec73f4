import CallerIdentity
package import Foundation
import SQLKit
package import ServiceSupport

/// The `videos` table: writes through sql-kit, the same statements on SQLite and PostgreSQL, every
/// value bound; reads through sql-kit on PostgreSQL and through ``SQLiteReads`` on SQLite
/// (`SQLVideoStore+SQLiteReads.swift`).
package struct SQLVideoStore: VideoStore {
    static let table = "videos"
    static let columns = [
        "id", "owner_id", "title", "description", "thumbnail_url", "stream_url", "duration_seconds", "is_live",
        "is_adult", "tags", "created_at", "updated_at",
    ]

    private let database: ServiceDatabase

    package init(database: ServiceDatabase) {
        self.database = database
    }

    private var sql: any SQLDatabase { self.database.sql }

    package func insert(_ video: VideoRecord) async throws {
        let values: [any SQLExpression] = [
            SQLBind(video.id.lowercasedString), SQLBind(video.ownerID.lowercasedString), SQLBind(video.title),
            SQLBind(video.description), SQLBind(video.thumbnailURL), SQLBind(video.streamURL),
            SQLBind(video.durationSeconds), SQLBind(video.isLive), SQLBind(video.isAdult),
            SQLBind(try VideoTags.encode(video.tags)), SQLBind(video.createdAt), SQLBind(video.updatedAt),
        ]
        try await Self.classified {
            try await self.sql.insert(into: Self.table).columns(Self.columns).values(values).run()
        }
    }

    package func video(id: UUID) async throws -> VideoRecord? {
        if let reads = self.database.reads { return try await self.video(id: id, reads: reads) }
        return try await Self.classified {
            try await self.sql.select().columns(Self.columns).from(Self.table)
                .where("id", .equal, id.lowercasedString)
                .first()
                .map(Self.record)
        }
    }

    package func videos(ids: [UUID]) async throws -> [VideoRecord] {
        guard !ids.isEmpty else { return [] }
        if let reads = self.database.reads { return try await self.videos(ids: ids, reads: reads) }
        let binds = SQLGroupExpression(ids.map { SQLBind($0.lowercasedString) })
        return try await Self.classified {
            try await self.sql.select().columns(Self.columns).from(Self.table)
                .where(SQLColumn("id"), .in, binds)
                .all()
                .map(Self.record)
        }
    }

    package func list(_ query: VideoQuery) async throws -> [VideoRecord] {
        if let reads = self.database.reads { return try await self.list(query, reads: reads) }
        return try await Self.classified {
            let select = self.sql.select().columns(Self.columns).from(Self.table)
            if let live = query.live { select.where("is_live", .equal, live) }
            if let owner = query.ownerID { select.where("owner_id", .equal, owner.lowercasedString) }
            if !query.includeAdult { select.where("is_adult", .equal, false) }
            return
                try await select
                .orderBy("created_at", .descending)
                .orderBy("id", .descending)
                .limit(query.limit)
                .offset(query.offset)
                .all()
                .map(Self.record)
        }
    }

    package func update(id: UUID, changes: VideoChanges, updatedAt: Int64) async throws -> VideoRecord? {
        let tags = try changes.tags.map(VideoTags.encode)
        return try await Self.classified {
            let update = self.sql.update(Self.table)
            if let title = changes.title { update.set("title", to: title) }
            if let description = changes.description { update.set("description", to: description) }
            if let thumbnailURL = changes.thumbnailURL { update.set("thumbnail_url", to: thumbnailURL) }
            if let streamURL = changes.streamURL { update.set("stream_url", to: streamURL) }
            if let durationSeconds = changes.durationSeconds { update.set("duration_seconds", to: durationSeconds) }
            if let isLive = changes.isLive { update.set("is_live", to: isLive) }
            if let isAdult = changes.isAdult { update.set("is_adult", to: isAdult) }
            if let tags { update.set("tags", to: tags) }
            update.set("updated_at", to: updatedAt)
            return try await update.where("id", .equal, id.lowercasedString)
                .returning(Self.columns.map { SQLColumn($0) })
                .first()
                .map(Self.record)
        }
    }

    package func delete(id: UUID) async throws -> Bool {
        try await Self.classified {
            try await self.sql.delete(from: Self.table)
                .where("id", .equal, id.lowercasedString)
                .returning(SQLColumn("id"))
                .first() != nil
        }
    }

    // MARK: Rows

    private static func record(_ row: any SQLRow) throws -> VideoRecord {
        guard let id = UUID(hyphenated: try row.decode(column: "id", as: String.self)),
            let owner = UUID(hyphenated: try row.decode(column: "owner_id", as: String.self))
        else { throw DatabaseError(code: .other, cause: CorruptRow(column: "id")) }
        return VideoRecord(
            id: id, ownerID: owner,
            title: try row.decode(column: "title", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            thumbnailURL: try row.decode(column: "thumbnail_url", as: String.self),
            streamURL: try row.decode(column: "stream_url", as: String.self),
            durationSeconds: try row.decode(column: "duration_seconds", as: Int32.self),
            isLive: try row.decode(column: "is_live", as: Bool.self),
            isAdult: try row.decode(column: "is_adult", as: Bool.self),
            tags: try VideoTags.decode(try row.decode(column: "tags", as: String.self)),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            updatedAt: try row.decode(column: "updated_at", as: Int64.self))
    }

    /// Runs a statement and rethrows its failure as a `DatabaseError`.
    private static func classified<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw DatabaseErrors.classify(error)
        }
    }
}

/// A stored row that does not decode (a schema or data bug).
struct CorruptRow: Error, CustomStringConvertible {
    var column: String
    var description: String { "stored \(self.column) does not decode" }
}
