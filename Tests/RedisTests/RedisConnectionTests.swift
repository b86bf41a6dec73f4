import Foundation
import NIOCore
import Redis
import Testing

@Suite("RedisConnection against a real redis-server")
struct RedisConnectionTests {
    @Test func setGetIncr() async throws {
        let redis = try await TestRedis.connect()
        defer { redis.close() }
        let key = TestRedis.key()
        #expect(try await redis.send(RedisCommand("SET", .string(key), "hello")) == .simpleString("OK"))
        #expect(try await redis.send(RedisCommand("GET", .string(key))).string == "hello")
        #expect(try await redis.send(RedisCommand("GET", .string(key + ":missing"))) == .null)
        let counter = key + ":n"
        #expect(try await redis.send(RedisCommand("INCR", .string(counter))) == .integer(1))
        #expect(try await redis.send(RedisCommand("INCRBY", .string(counter), 41)) == .integer(42))
        #expect(try await redis.send(RedisCommand("GET", .string(counter))).int == 42)
        let future: EventLoopFuture<RESPValue> = redis.send(RedisCommand("DEL", .string(key), .string(counter)))
        #expect(try await future.get() == .integer(2))
    }

    @Test func valuesAndKeysAreBinarySafe() async throws {
        let redis = try await TestRedis.connect()
        defer { redis.close() }
        let value = (0..<1024).map { UInt8(truncatingIfNeeded: $0) } + Array("\r\n$-1\r\n\0".utf8)
        let key = Array(TestRedis.key().utf8) + [0, 13, 10, 255]
        _ = try await redis.send(RedisCommand("SET", .bytes(key), .bytes(value), "EX", 60))
        #expect(try await redis.send(RedisCommand("GET", .bytes(key))).bytes == value)
        #expect(try await redis.send(RedisCommand("STRLEN", .bytes(key))) == .integer(Int64(value.count)))
        let big = [UInt8](repeating: 0xAB, count: 1 << 20)
        _ = try await redis.send(RedisCommand("SET", .bytes(key), .bytes(big), "EX", 60))
        #expect(try await redis.send(RedisCommand("GET", .bytes(key))).bytes == big)
        _ = try await redis.send(RedisCommand("DEL", .bytes(key)))
    }

    @Test func pipelinesTenThousandCommands() async throws {
        let redis = try await TestRedis.connect()
        defer { redis.close() }
        let key = TestRedis.key()
        let replies = try await redis.pipeline(Array(repeating: RedisCommand("INCR", .string(key)), count: 10_000))
        #expect(replies == (1...10_000).map { RESPValue.integer(Int64($0)) })

        // 10 000 independent sends in flight at once, answered in order.
        let futures = (0..<10_000).map { _ -> EventLoopFuture<RESPValue> in
            redis.send(RedisCommand("INCR", .string(key)))
        }
        var expected: Int64 = 10_001
        for future in futures {
            #expect(try await future.get() == .integer(expected))
            expected += 1
        }
        _ = try await redis.send(RedisCommand("DEL", .string(key)))
    }

    @Test func transactionsRunInOneWrite() async throws {
        let redis = try await TestRedis.connect()
        defer { redis.close() }
        let key = TestRedis.key()
        let results = try await redis.transaction([
            RedisCommand("SET", .string(key), "10"),
            RedisCommand("INCRBY", .string(key), 5),
            RedisCommand("LPUSH", .string(key), "x"),  // fails at run time, the rest still applies
            RedisCommand("GET", .string(key)),
        ])
        #expect(results.count == 4)
        #expect(results[1] == .integer(15))
        if case .error(let message) = results[2] { #expect(message.hasPrefix("WRONGTYPE")) } else { Issue.record() }
        #expect(results[3].string == "15")

        // A command rejected while queueing aborts everything.
        await #expect(throws: RedisError.self) {
            try await redis.transaction([RedisCommand("INCR", .string(key)), RedisCommand("NOSUCHCOMMAND")])
        }
        #expect(try await redis.send(RedisCommand("GET", .string(key))).string == "15")
    }

    @Test func watchedKeyChangeAbortsTheTransaction() async throws {
        let redis = try await TestRedis.connect()
        let other = try await TestRedis.connect()
        defer {
            redis.close()
            other.close()
        }
        let key = TestRedis.key()
        _ = try await redis.send(RedisCommand("WATCH", .string(key)))
        _ = try await other.send(RedisCommand("SET", .string(key), "changed"))
        let error = await #expect(throws: RedisError.self) {
            try await redis.transaction([RedisCommand("SET", .string(key), "mine")])
        }
        #expect(error?.code == .transactionAborted)
        #expect(try await redis.send(RedisCommand("GET", .string(key))).string == "changed")
    }

    @Test func luaScriptsUseEvalshaWithEvalFallback() async throws {
        let redis = try await TestRedis.connect()
        defer { redis.close() }
        let key = TestRedis.key()
        // A unique comment makes the script unknown to the server, so the first call must fall back.
        let script = RedisScript(
            "-- \(UUID().uuidString)\nlocal v = redis.call('INCRBY', KEYS[1], ARGV[1])\nreturn {v, ARGV[2]}")
        let exists = RedisCommand("SCRIPT", "EXISTS", .string(script.sha1))
        #expect(try await redis.send(exists) == .array([.integer(0)]))
        let first = try await redis.evaluate(script, keys: [.string(key)], arguments: [5, "tag"])
        #expect(first == .array([.integer(5), bulk("tag")]))
        #expect(try await redis.send(exists) == .array([.integer(1)]))
        let second = try await redis.evaluate(script, keys: [.string(key)], arguments: [5, "tag"])
        #expect(second == .array([.integer(10), bulk("tag")]))
        let loaded = try await redis.send(RedisCommand("SCRIPT", "LOAD", .string(script.source)))
        #expect(loaded.string == script.sha1)
        // Errors raised by the script itself are server errors, not NOSCRIPT.
        let failing = RedisScript("return redis.error_reply('HALO boom')")
        let error = await #expect(throws: RedisError.self) { try await redis.evaluate(failing) }
        #expect(error?.serverErrorPrefix == "HALO")
    }

    @Test func serverErrorsAreTypedAndLeaveTheConnectionUsable() async throws {
        let redis = try await TestRedis.connect()
        defer { redis.close() }
        let key = TestRedis.key()
        _ = try await redis.send(RedisCommand("LPUSH", .string(key), "a"))
        let error = await #expect(throws: RedisError.self) {
            try await redis.send(RedisCommand("INCR", .string(key)))
        }
        #expect(error?.code == .serverError)
        #expect(error?.serverErrorPrefix == "WRONGTYPE")
        // In a pipeline the error is a value in its place.
        let replies = try await redis.pipeline([RedisCommand("INCR", .string(key)), RedisCommand("PING")])
        #expect(replies.count == 2)
        if case .error = replies[0] {} else { Issue.record("expected an error value, got \(replies[0])") }
        #expect(replies[1] == .simpleString("PONG"))
        #expect(redis.isActive)
    }

    @Test func commandTimeoutFailsTheCommandAndClosesTheConnection() async throws {
        let redis = try await TestRedis.connect()
        let key = TestRedis.key()
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) {
            try await redis.send(RedisCommand("BLPOP", .string(key), 5), timeout: .milliseconds(200))
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == .timeout)
        #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(4), "took \(elapsed)")
        try await redis.closeFuture.get()
        #expect(!redis.isActive)
        let late = await #expect(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
        #expect(late?.code == .connectionClosed)
    }

    @Test func connectingToAClosedPortFailsWithinTheConnectTimeout() async throws {
        let closed = try ClosedPort()
        var configuration = try TestRedis.configuration()
        configuration.port = closed.port
        configuration.connectTimeout = .seconds(5)
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: configuration, on: TestRedis.loop(), logger: .quiet)
        }
        #expect(error?.code == .connectionFailed)
        // Refused, not waited out: the cause is the refusal, not the connect timeout. (A wall-clock bound
        // here failed when the shared test process's threads were busy with other suites for seconds.)
        #expect(!Self.isConnectTimeout(error?.cause), "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(60))
        withExtendedLifetime(closed) {}
    }

    @Test func connectTimeoutFiresWhenTheServerNeverAnswers() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        var configuration = try TestRedis.configuration()
        configuration.port = listener.port
        configuration.connectTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: configuration, on: TestRedis.loop(), logger: .quiet)
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == .connectionFailed)
        // The connect timeout ended it (the cause says so) after waiting for it; the upper bound only
        // guards against a hang, since the test process's threads may be busy with other suites.
        #expect(Self.isConnectTimeout(error?.cause), "\(String(describing: error))")
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(60), "took \(elapsed)")
    }

    private static func isConnectTimeout(_ cause: (any Error)?) -> Bool {
        if case .connectTimeout = cause as? ChannelError { return true }
        return false
    }

    @Test func handshakeSelectsTheDatabaseAndNamesTheClient() async throws {
        var configuration = try TestRedis.configuration()
        configuration.database = 3
        configuration.clientName = "halo-test-\(UUID().uuidString.prefix(8))"
        let redis = try await RedisConnection.connect(
            configuration: configuration, on: TestRedis.loop(), logger: .quiet)
        defer { redis.close() }
        let info = try await redis.send(RedisCommand("CLIENT", "INFO")).string ?? ""
        #expect(info.contains("db=3"))
        #expect(info.contains("name=\(configuration.clientName!)"))
        configuration.password = "wrong"
        let error = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: configuration, on: TestRedis.loop(), logger: .quiet)
        }
        #expect(error?.code == .connectionFailed)
    }
}
