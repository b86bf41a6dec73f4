import Foundation
import Logging
import SQLKit
import ServiceSupport
import ServiceSupportTesting
import Testing

@Suite struct MigratorTests {
    let logger = Logger.test("halo.test.migrator")

    /// Two migrations; the second records each run so double application would show.
    static let migrations = [
        Migration(
            version: 1, name: "create things",
            statements: [
                "CREATE TABLE things (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
                "CREATE TABLE runs (n BIGINT NOT NULL)",
            ]),
        Migration(version: 2, name: "seed things") { sql in
            try await sql.raw("INSERT INTO things (id, name) VALUES (1, 'one')").run()
            try await sql.raw("INSERT INTO runs (n) VALUES (1)").run()
        },
    ]

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func appliesOnceAcrossRestarts(_ dialect: ServiceDatabase.Dialect) async throws {
        try await TestDatabases.withFresh(dialect) { fresh in
            try await fresh.withOpen(service: "things", logger: self.logger) { (first) async throws in
                #expect(try await self.migrator(first).migrate() == [1, 2])
                #expect(try await self.migrator(first).migrate() == [])
            }
            // A restart: a new pool on the same database.
            try await fresh.withOpen(service: "things", logger: self.logger) { (second) async throws in
                #expect(try await self.migrator(second).migrate() == [])
                #expect(try await Self.count("runs", second) == 1)
                #expect(try await Self.count("schema_migrations", second) == 2)
            }
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func twoProcessesStartingAtOnceApplyEachMigrationOnce(_ dialect: ServiceDatabase.Dialect) async throws {
        try await TestDatabases.withFresh(dialect) { fresh in
            // Separate pools stand for separate processes.
            try await fresh.withOpen(service: "things", logger: self.logger) { (one) async throws in
                try await fresh.withOpen(service: "things", logger: self.logger) { (two) async throws in
                    try await fresh.withOpen(service: "things", logger: self.logger) { (three) async throws in
                        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                            for database in [one, two, three] {
                                group.addTask { try await self.migrator(database).migrate() }
                            }
                            var all: [Int] = []
                            for try await versions in group { all += versions }
                            return all
                        }
                        #expect(applied.sorted() == [1, 2])
                        #expect(try await Self.count("runs", one) == 1)
                    }
                }
            }
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func aFailingMigrationLeavesNothingBehind(_ dialect: ServiceDatabase.Dialect) async throws {
        try await TestDatabases.withFresh(dialect) { fresh in
            try await fresh.withOpen(service: "things", logger: self.logger) { (database) async throws in
                let broken =
                    Self.migrations + [
                        Migration(version: 3, name: "half done") { sql in
                            try await sql.raw("CREATE TABLE extra (id BIGINT)").run()
                            try await sql.raw("INSERT INTO no_such_table VALUES (1)").run()
                        }
                    ]
                await #expect(throws: (any Error).self) {
                    try await Migrator(database: database, service: "things", migrations: broken, logger: self.logger)
                        .migrate()
                }
                #expect(try await Self.count("schema_migrations", database) == 2)
                // The table the failed migration created was rolled back with it.
                await #expect(throws: (any Error).self) { try await Self.count("extra", database) }
                // Fixed, it applies.
                var fixed = broken
                fixed[2] = Migration(version: 3, name: "half done", statements: ["CREATE TABLE extra (id BIGINT)"])
                #expect(
                    try await Migrator(database: database, service: "things", migrations: fixed, logger: self.logger)
                        .migrate() == [3])
            }
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func servicesSharingADatabaseKeepSeparateHistories(_ dialect: ServiceDatabase.Dialect) async throws {
        try await TestDatabases.withFresh(dialect) { fresh in
            try await fresh.withOpen(service: "things", logger: self.logger) { (database) async throws in
                try await self.migrator(database).migrate()
                let other = [
                    Migration(version: 1, name: "create others", statements: ["CREATE TABLE others (id BIGINT)"])
                ]
                #expect(
                    try await Migrator(database: database, service: "others", migrations: other, logger: self.logger)
                        .migrate() == [1])
            }
        }
    }

    @Test func aRewrittenHistoryIsRefused() async throws {
        try await TestDatabases.withFresh(.sqlite) { fresh in
            try await fresh.withOpen(service: "things", logger: self.logger) { (database) async throws in
                try await self.migrator(database).migrate()
                var renamed = Self.migrations
                renamed[0].name = "something else"
                await #expect(throws: MigrationError.self) {
                    try await Migrator(database: database, service: "things", migrations: renamed, logger: self.logger)
                        .migrate()
                }
            }
        }
    }

    private func migrator(_ database: ServiceDatabase) -> Migrator {
        Migrator(database: database, service: "things", migrations: Self.migrations, logger: self.logger)
    }

    static func count(_ table: String, _ database: ServiceDatabase) async throws -> Int {
        let row = try await database.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}
