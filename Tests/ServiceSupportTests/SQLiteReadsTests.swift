import CallerIdentity
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import ServiceSupport
import ServiceSupportTesting
import Testing

@Suite struct SQLiteReadsTests {
    let logger = Logger.test("halo.test.sqlite-reads")

    static let byName = SQLiteReads.Query("SELECT id, name, born, active FROM people WHERE name = ?")
    static let all = SQLiteReads.Query("SELECT id, name, born, active FROM people ORDER BY born")
    static let selectParameter = SQLiteReads.Query("SELECT ?, ?, ?")

    struct Person: Sendable, Equatable {
        var id: UUID
        var name: String
        var born: Int64
        var active: Bool
    }

    @Sendable static func person(_ row: SQLiteReads.Row) throws -> Person {
        Person(id: try #require(row.uuid(0)), name: row.string(1), born: row.int64(2), active: row.bool(3))
    }

    /// A fresh SQLite database with a `people` table, open and running while `body` uses it.
    func withPeople(_ body: (ServiceDatabase, SQLiteReads) async throws -> Void) async throws {
        try await TestDatabases.withFresh(.sqlite) { fresh in
            try await fresh.withOpen(service: "reads", logger: self.logger) { database in
                try await database.sql.raw(
                    "CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT NOT NULL, born BIGINT NOT NULL, active BOOLEAN NOT NULL)"
                ).run()
                try await body(database, try #require(database.reads))
            }
        }
    }

    func insert(_ person: Person, into database: ServiceDatabase) async throws {
        try await database.sql.insert(into: "people").columns("id", "name", "born", "active")
            .values(
                SQLBind(person.id.lowercasedString), SQLBind(person.name), SQLBind(person.born), SQLBind(person.active)
            )
            .run()
    }

    @Test func readsSeeEveryCommittedWriteAndDecodeEachColumnType() async throws {
        try await withPeople { database, reads in
            let none = try await reads.query(Self.all, [], Self.person)
            #expect(none.isEmpty)
            let ada = Person(id: UUID(), name: "Ada", born: -4_000_000_000_000_000, active: true)
            let grace = Person(id: UUID(), name: "Grace ✓", born: 1, active: false)
            try await insert(ada, into: database)
            // The statement is kept prepared: a write between two runs is seen by the second.
            #expect(try await reads.query(Self.all, [], Self.person) == [ada])
            try await insert(grace, into: database)
            #expect(try await reads.query(Self.all, [], Self.person) == [ada, grace])
            #expect(try await reads.first(Self.byName, [.text("Grace ✓")], Self.person) == grace)
            #expect(try await reads.first(Self.byName, [.text("nobody")], Self.person) == nil)
        }
    }

    @Test func bindsTextIntegersBooleansAndIDsAsStored() async throws {
        try await withPeople { _, reads in
            let id = try #require(UUID(uuidString: "0190A5B4-2C3D-7E8F-9A0B-1C2D3E4F5A6B"))
            let values = try await reads.first(Self.selectParameter, [.uuid(id), .text(""), .bool(true)]) { row in
                [row.string(0), row.string(1), String(row.int64(2))]
            }
            // Ids are bound as lower-case hyphenated text; the empty string is text, not NULL.
            #expect(values == ["0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6b", "", "1"])
            let null = try await reads.first(SQLiteReads.Query("SELECT typeof(?)"), [.text("")]) { $0.string(0) }
            #expect(null == "text")
        }
    }

    @Test func aCallOnAnEventLoopOfTheGroupRunsThereWithoutAHop() async throws {
        try await withPeople { database, reads in
            let ada = Person(id: UUID(), name: "Ada", born: 1815, active: true)
            try await insert(ada, into: database)
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            try await withTaskExecutorPreference(EventLoopExecutor(eventLoop: loop)) {
                let decodedOn = try await reads.query(Self.all, []) { _ in loop.inEventLoop }
                #expect(decodedOn == [true])
            }
            // Off the loops (the cooperative pool), the call hops to a loop and back.
            #expect(
                try await reads.query(Self.all, []) { _ in MultiThreadedEventLoopGroup.currentEventLoop != nil } == [
                    true
                ])
        }
    }

    @Test func failuresAreClassifiedWithoutSQLText() async throws {
        try await withPeople { _, reads in
            let error = await #expect(throws: DatabaseError.self) {
                try await reads.query(SQLiteReads.Query("SELECT secret FROM nowhere"), []) { _ in 0 }
            }
            #expect(error?.code == .other)
            // A read connection never writes.
            let write = await #expect(throws: DatabaseError.self) {
                try await reads.query(SQLiteReads.Query("DELETE FROM people"), []) { _ in 0 }
            }
            #expect(write != nil)
            // The gate fails reads the way a failing database would.
            let gated = reads.gated { throw IOError(errnoCode: EIO, reason: "injected") }
            await #expect(throws: IOError.self) { try await gated.query(Self.all, [], Self.person) }
            let ungated = try await reads.query(Self.all, [], Self.person)
            #expect(ungated.isEmpty)
        }
    }

    @Test func aMissingFileIsUnavailable() async throws {
        let reads = SQLiteReads(
            path: "/nonexistent-\(UUID().uuidString)/db.sqlite", busyTimeout: .milliseconds(10),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: self.logger)
        let error = await #expect(throws: DatabaseError.self) { try await reads.query(Self.all, []) { _ in 0 } }
        #expect(error?.code == .unavailable)
        await reads.close()
    }
}
