import Foundation
import Logging
import RPC
import SQLKit
import ServiceSupport
import ServiceSupportTesting
import Testing

@Suite struct DatabaseTests {
    let logger = Logger.test("halo.test.database")

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func uniqueViolationsAreTyped(_ dialect: ServiceDatabase.Dialect) async throws {
        try await TestDatabases.withFresh(dialect) { fresh in
            try await fresh.withOpen(service: "db", logger: self.logger) { database in
                #expect(database.dialect == dialect)
                try await database.sql.raw("CREATE TABLE users (email TEXT PRIMARY KEY)").run()
                try await database.sql.raw("INSERT INTO users (email) VALUES ('a@example.com')").run()
                let error = await #expect(throws: (any Error).self) {
                    try await database.sql.raw("INSERT INTO users (email) VALUES ('a@example.com')").run()
                }
                let failure = try #require(error)
                #expect(DatabaseErrors.isUniqueViolation(failure))
                #expect(!DatabaseErrors.isUnavailable(failure))
                let status = DatabaseErrors.rpcError(for: failure)
                #expect(status.code == .alreadyExists)
                #expect(!status.message.contains("users"))
            }
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func otherErrorsAreInternalWithoutSQL(_ dialect: ServiceDatabase.Dialect) async throws {
        try await TestDatabases.withFresh(dialect) { fresh in
            try await fresh.withOpen(service: "db", logger: self.logger) { database in
                let error = await #expect(throws: (any Error).self) {
                    try await database.sql.raw("SELEKT secret_column FROM nowhere").run()
                }
                let status = DatabaseErrors.rpcError(for: try #require(error))
                #expect(status.code == .internal)
                #expect(!status.message.contains("SELEKT") && !status.message.contains("secret_column"))
            }
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func transactionsCommitOrRollBack(_ dialect: ServiceDatabase.Dialect) async throws {
        try await TestDatabases.withFresh(dialect) { fresh in
            try await fresh.withOpen(service: "db", logger: self.logger) { database in
                try await database.sql.raw("CREATE TABLE items (id BIGINT PRIMARY KEY)").run()
                try await database.transaction { sql in
                    try await sql.raw("INSERT INTO items (id) VALUES (1)").run()
                    try await sql.raw("INSERT INTO items (id) VALUES (2)").run()
                }
                await #expect(throws: (any Error).self) {
                    try await database.transaction { sql in
                        try await sql.raw("INSERT INTO items (id) VALUES (3)").run()
                        try await sql.raw("INSERT INTO items (id) VALUES (1)").run()
                    }
                }
                let rows = try await database.sql.raw("SELECT id FROM items ORDER BY id").all()
                #expect(try rows.map { try $0.decode(column: "id", as: Int.self) } == [1, 2])
            }
        }
    }

    @Test func refusedPostgresIsUnavailable() async throws {
        // A port that was just free: nothing listens there.
        let proxy = FaultProxy(targetHost: "127.0.0.1", targetPort: 9)
        let port = try await proxy.start()
        await proxy.stop()
        let url = "postgres://halo@127.0.0.1:\(port)/halo"
        try await TestDatabase(dialect: .postgres, url: url, dataDirectory: "/tmp").withOpen(
            service: "db", logger: self.logger
        ) { database in
            let error = await #expect(throws: (any Error).self) { try await database.ping(timeout: .seconds(10)) }
            let failure = try #require(error)
            #expect(DatabaseErrors.isUnavailable(failure))
            #expect(DatabaseErrors.rpcError(for: failure).code == .unavailable)
        }
    }

    @Test func lostPostgresIsUnavailableAndRecovers() async throws {
        try await TestDatabases.withFresh(.postgres) { fresh in
            let direct = try #require(fresh.url)
            let target = try #require(URLComponents(string: direct))
            let proxy = FaultProxy(targetHost: try #require(target.host), targetPort: try #require(target.port))
            let port = try await proxy.start()
            let proxied = TestDatabases.replacingAddress(in: direct, host: "127.0.0.1", port: port)
            try await TestDatabase(dialect: .postgres, url: proxied, dataDirectory: fresh.dataDirectory).withOpen(
                service: "db", logger: self.logger
            ) { database in
                try await database.ping(timeout: .seconds(10))
                await proxy.cut()
                // The first request finds out: it waits at most the acquire timeout, never its own deadline.
                let settings = TestDatabase.databaseSettings
                let cutAt = ContinuousClock.now
                let error = await #expect(throws: (any Error).self) {
                    try await database.ping(timeout: .seconds(10))
                }
                #expect(DatabaseErrors.isUnavailable(try #require(error)))
                #expect(ContinuousClock.now - cutAt < settings.acquireTimeout + .seconds(1))
                // While connecting fails, requests keep failing as unavailable, at once.
                for _ in 0..<5 {
                    let started = ContinuousClock.now
                    let again = await #expect(throws: (any Error).self) {
                        try await database.ping(timeout: .seconds(10))
                    }
                    #expect(DatabaseErrors.isUnavailable(try #require(again)))
                    #expect(ContinuousClock.now - started < .milliseconds(500))
                }
                proxy.restore()
                // The database is back: the service finds it again by itself within seconds (one
                // request per reconnect interval gets through; the first that connects reopens the gate).
                let restored = ContinuousClock.now
                var failures: [String] = []
                while true {
                    do {
                        try await database.ping(timeout: .seconds(2))
                        break
                    } catch {
                        failures.append(String(reflecting: error))
                    }
                    try #require(
                        ContinuousClock.now - restored < .seconds(5),
                        "the database did not come back; failures: \(Set(failures).sorted())")
                    try await Task.sleep(for: .milliseconds(20))
                }
                // And stays back: every request succeeds, none waits.
                for _ in 0..<20 { try await database.ping(timeout: .seconds(2)) }
            }
            await proxy.stop()
        }
    }

    @Test func injectedFaultsAreUnavailable() async throws {
        try await TestDatabases.withFresh(.sqlite) { fresh in
            try await fresh.withOpen(service: "db", logger: self.logger) { opened in
                let faults = FaultSwitch()
                let database = opened.replacingSQL(FaultInjectingDatabase(base: opened.sql, faults: faults))
                try await database.ping(timeout: .seconds(10))
                faults.fail()
                let error = await #expect(throws: (any Error).self) { try await database.ping(timeout: .seconds(10)) }
                #expect(DatabaseErrors.rpcError(for: try #require(error)).code == .unavailable)
                faults.recover()
                try await database.ping(timeout: .seconds(10))
            }
        }
    }

    @Test func rpcErrorsPassThrough() {
        let error = RPCError(code: .notFound, message: "video not found")
        #expect(DatabaseErrors.rpcError(for: error).code == .notFound)
    }
}
