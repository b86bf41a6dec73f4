import Foundation
package import Logging
import SQLKit

/// Applies a service's migrations in order and records each in `schema_migrations`
/// (`service`, `version`, `name`, `applied_at`), so a restart applies only what is new.
///
/// Each migration runs in its own transaction together with its record: it is applied entirely
/// or not at all. Two processes starting at once serialize: on PostgreSQL every migration
/// transaction first takes a transaction-level advisory lock; on SQLite the transaction takes
/// the single write lock at `BEGIN IMMEDIATE`. Whoever comes second sees the record and skips.
/// Services may share one database: records are per service.
package struct Migrator: Sendable {
    /// The advisory lock every Halo migration transaction takes on PostgreSQL ("halo-mig").
    static let advisoryLockKey: Int64 = 0x6861_6C6F_2D6D_6967

    private let database: ServiceDatabase
    private let service: String
    private let migrations: [Migration]
    private let logger: Logger

    package init(database: ServiceDatabase, service: String, migrations: [Migration], logger: Logger) {
        precondition(migrations.allSatisfy { $0.version > 0 }, "migration versions are positive")
        precondition(
            zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version },
            "migration versions strictly increase")
        self.database = database
        self.service = service
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies the pending migrations; returns the versions this call applied.
    @discardableResult
    package func migrate() async throws -> [Int] {
        try await self.inTransaction { sql in
            try await sql.raw(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    service TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL,
                    PRIMARY KEY (service, version)
                )
                """
            ).run()
        }
        let known = try await self.appliedVersions(self.database.sql)
        try self.checkHistory(known)

        var applied: [Int] = []
        for migration in self.migrations where known[migration.version] == nil {
            let service = self.service
            let didApply = try await self.inTransaction { sql in
                // Someone else may have applied it while we waited for the lock.
                let rows = try await sql.select().column("version").from("schema_migrations")
                    .where("service", .equal, service).where("version", .equal, migration.version)
                    .all()
                guard rows.isEmpty else { return false }
                try await migration.up(sql)
                try await sql.insert(into: "schema_migrations")
                    .columns("service", "version", "name", "applied_at")
                    .values(
                        SQLBind(service), SQLBind(migration.version), SQLBind(migration.name),
                        SQLBind(Date().formatted(.iso8601))
                    )
                    .run()
                return true
            }
            if didApply {
                applied.append(migration.version)
                self.logger.info(
                    "migration applied",
                    metadata: ["service": "\(service)", "version": "\(migration.version)", "name": "\(migration.name)"])
            }
        }
        return applied
    }

    /// Migrates, waiting for an unavailable database (start-up order in compose) with backoff
    /// up to `timeout`; other errors, and the last unavailable one, are thrown.
    @discardableResult
    package func migrate(waitingUpTo timeout: Duration) async throws -> [Int] {
        let deadline = ContinuousClock.now + timeout
        var delay: Duration = .milliseconds(250)
        while true {
            do {
                return try await self.migrate()
            } catch  where DatabaseErrors.isUnavailable(error) && ContinuousClock.now + delay < deadline {
                self.logger.warning(
                    "database unavailable, retrying migrations",
                    metadata: ["retry_in": "\(delay)", "error": "\(DatabaseErrors.classify(error))"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    private func inTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        let dialect = self.database.dialect
        return try await self.database.transaction { sql in
            if dialect == .postgres {
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
            }
            return try await body(sql)
        }
    }

    private func appliedVersions(_ sql: any SQLDatabase) async throws -> [Int: String] {
        let rows = try await sql.select().columns("version", "name").from("schema_migrations")
            .where("service", .equal, self.service).all()
        var versions: [Int: String] = [:]
        for row in rows {
            versions[try row.decode(column: "version", as: Int.self)] = try row.decode(column: "name", as: String.self)
        }
        return versions
    }

    /// Refuses to run over a history that differs from ours (a renamed or reused version);
    /// versions we do not know are from a newer release and only logged (rolling upgrades).
    private func checkHistory(_ known: [Int: String]) throws {
        let ours = Dictionary(uniqueKeysWithValues: self.migrations.map { ($0.version, $0.name) })
        for (version, name) in known.sorted(by: { $0.key < $1.key }) {
            if let expected = ours[version] {
                guard expected == name else {
                    throw MigrationError(
                        "\(self.service) migration \(version) is recorded as \"\(name)\", but this build calls it \"\(expected)\""
                    )
                }
            } else {
                self.logger.warning(
                    "database has a migration this build does not know",
                    metadata: ["service": "\(self.service)", "version": "\(version)", "name": "\(name)"])
            }
        }
    }
}
