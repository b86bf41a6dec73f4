import Foundation
import NIOCore
import Redis
import RedisTesting
import Synchronization
import Testing

@Suite("RedisPool against a real redis-server")
struct RedisPoolTests {
    func makePool(
        _ connection: RedisConnection.Configuration, max: Int, waiters: Int = 512, wait: Duration = .seconds(10),
        backoff: RedisPool.Configuration.Backoff = .init(initial: .milliseconds(50), maximum: .milliseconds(500))
    ) -> RedisPool {
        RedisPool(
            configuration: RedisPool.Configuration(
                connection: connection, maxConnections: max, maxWaiters: waiters, waitTimeout: wait, backoff: backoff),
            eventLoopGroup: TestRedis.group, logger: .quiet)
    }

    @Test func maxSizeIsRespectedUnderConcurrency() async throws {
        var configuration = try TestRedis.configuration()
        let name = "halo-pool-\(UUID().uuidString.prefix(8))"
        configuration.clientName = name
        let pool = makePool(configuration, max: 3)
        let observer = try await TestRedis.connect()
        defer { observer.close() }
        let key = TestRedis.key()
        let peak = Peak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 {
                group.addTask {
                    // BLPOP with a 50 ms timeout holds its connection for that long, then answers null.
                    let reply = try await pool.send(RedisCommand("BLPOP", .string(key), .double(0.05)))
                    #expect(reply == .null)
                    peak.record(pool.stats.total)
                }
            }
            group.addTask {
                for _ in 0..<10 {
                    let clients = try await observer.send(RedisCommand("CLIENT", "LIST")).string ?? ""
                    let ours = clients.split(separator: "\n").filter { $0.contains("name=\(name) ") }.count
                    #expect(ours <= 3)
                    peak.record(pool.stats.total)
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.value == 3)
        #expect(pool.stats.total <= 3 && pool.stats.waiters == 0 && pool.stats.leased == 0)
        await pool.shutdown()
        let closed = await #expect(throws: RedisError.self) { try await pool.send(RedisCommand("PING")) }
        #expect(closed?.code == .poolClosed)
    }

    @Test func waitersAreBoundedAndTimeOut() async throws {
        let configuration = try TestRedis.configuration()
        let pool = makePool(configuration, max: 1, waiters: 1, wait: .milliseconds(300))
        defer { Task { await pool.shutdown() } }
        let key = TestRedis.key()
        // Open the one connection first (a slow connect could outlast the 300 ms wait; retrying is fine).
        _ = try await TestRedis.eventually { try await pool.send(RedisCommand("PING")) }
        let blocked: EventLoopFuture<RESPValue> = pool.send(RedisCommand("BLPOP", .string(key), 5))
        try await TestRedis.eventually { if pool.stats.leased != 1 { throw CancellationError() } }
        let started = ContinuousClock.now
        let waiting: EventLoopFuture<RESPValue> = pool.send(RedisCommand("PING"))
        let overflow = await #expect(throws: RedisError.self) { try await pool.send(RedisCommand("PING")) }
        #expect(overflow?.code == .poolExhausted)
        let timedOut = await #expect(throws: RedisError.self) { try await waiting.get() }
        #expect(timedOut?.code == .timeout)
        #expect(ContinuousClock.now - started < .seconds(4))
        let other = try await TestRedis.connect()
        defer { other.close() }
        _ = try await other.send(RedisCommand("LPUSH", .string(key), "go"))
        #expect(try await blocked.get().array?.last?.string == "go")
    }

    @Test func timedOutConnectionsAreDiscarded() async throws {
        let pool = makePool(try TestRedis.configuration(), max: 1)
        defer { Task { await pool.shutdown() } }
        let error = await #expect(throws: RedisError.self) {
            try await pool.send(RedisCommand("BLPOP", .string(TestRedis.key()), 5), timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        #expect(try await pool.send(RedisCommand("PING")) == .simpleString("PONG"))
        #expect(pool.stats.total == 1)
    }

    @Test func pipelinesTransactionsAndScriptsGoThroughThePool() async throws {
        let pool = makePool(try TestRedis.configuration(), max: 2)
        defer { Task { await pool.shutdown() } }
        let key = TestRedis.key()
        let replies = try await pool.pipeline([
            RedisCommand("SET", .string(key), "1"), RedisCommand("INCR", .string(key)),
        ])
        #expect(replies == [.simpleString("OK"), .integer(2)])
        #expect(try await pool.transaction([RedisCommand("INCR", .string(key))]) == [.integer(3)])
        let script = RedisScript("return redis.call('INCR', KEYS[1])")
        #expect(try await pool.evaluate(script, keys: [.string(key)]) == .integer(4))
        let watched = try await pool.withConnection { connection in
            _ = try await connection.send(RedisCommand("WATCH", .string(key)))
            return try await connection.transaction([RedisCommand("GET", .string(key))])
        }
        #expect(watched.first?.string == "4")
    }

    @Test func recoversAfterAServerRestart() async throws {
        let server = try PrivateRedisServer()
        try await server.start()
        let pool = makePool(server.configuration, max: 4)
        defer { Task { await pool.shutdown() } }
        let key = TestRedis.key()
        #expect(try await pool.send(RedisCommand("SET", .string(key), "before")) == .simpleString("OK"))

        await server.stop()
        // While it is down: typed errors, quickly, never a hang.
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await pool.send(RedisCommand("PING")) }
            #expect([.connectionClosed, .connectionFailed].contains(error?.code), "\(String(describing: error))")
            #expect(ContinuousClock.now - started < .seconds(4))
        }

        try await server.start()
        let reply = try await TestRedis.eventually { try await pool.send(RedisCommand("SET", .string(key), "after")) }
        #expect(reply == .simpleString("OK"))
        #expect(try await pool.send(RedisCommand("GET", .string(key))).string == "after")
        #expect(pool.stats.total <= 4)
    }
}

/// The highest value seen, from many tasks.
final class Peak: Sendable {
    private let highest = Atomic<Int>(0)

    func record(_ value: Int) { highest.max(value, ordering: .relaxed) }

    var value: Int { highest.load(ordering: .relaxed) }
}
