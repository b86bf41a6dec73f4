import Foundation
import NIOCore
import NIOPosix
import Redis
import RedisTesting
import Testing

@Suite("RedisLoopClient against a real redis-server")
struct RedisLoopClientTests {
    func makeClient(
        _ connection: RedisConnection.Configuration, group: any EventLoopGroup = TestRedis.group
    ) -> RedisLoopClient {
        RedisLoopClient(
            configuration: RedisPool.Configuration(
                connection: connection, backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(500))),
            eventLoopGroup: group, logger: .quiet)
    }

    /// `CLIENT ID` of the connection a command sent from `loop` goes out on, and the thread that saw the reply.
    func clientID(_ client: RedisLoopClient, from loop: any EventLoop) async throws -> (id: Int64, onLoop: Bool) {
        try await loop.flatSubmit {
            client.send(RedisCommand("CLIENT", "ID")).map { reply in (reply.int ?? -1, loop.inEventLoop) }
        }.get()
    }

    @Test func eachLoopHasItsOwnConnectionAndRepliesStayOnIt() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let client = makeClient(try TestRedis.configuration(), group: group)
        let loops = Array(group.makeIterator())
        var ids: [Int64] = []
        for loop in loops {
            let first = try await clientID(client, from: loop)
            let second = try await clientID(client, from: loop)
            #expect(first.id == second.id, "one connection per loop, reused")
            #expect(first.onLoop && second.onLoop, "the reply completes on the loop that sent the command")
            ids.append(first.id)
        }
        #expect(Set(ids).count == loops.count, "no two loops share a connection")
        await client.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func manyCallersPipelineOnOneConnection() async throws {
        let client = makeClient(try TestRedis.configuration())
        let key = TestRedis.key()
        let loop = TestRedis.loop()
        // 200 INCRs sent at once from one loop share its connection, in order.
        let replies = try await loop.flatSubmit {
            EventLoopFuture.whenAllSucceed(
                (0..<200).map { _ in client.send(RedisCommand("INCR", .string(key))) }, on: loop)
        }.get()
        #expect(replies.compactMap(\.int) == Array(1...200))
        await client.shutdown()
    }

    @Test func pipelinesTransactionsAndScriptsWork() async throws {
        let client = makeClient(try TestRedis.configuration())
        let key = TestRedis.key()
        #expect(
            try await client.pipeline([RedisCommand("SET", .string(key), "1"), RedisCommand("INCR", .string(key))])
                == [.simpleString("OK"), .integer(2)])
        // An error reply inside a pipeline stays a value, and the replies after it stay in step.
        let mixed = try await client.pipeline([
            RedisCommand("INCR", .string(key)), RedisCommand("HGET", .string(key), "field"),
            RedisCommand("GET", .string(key)),
        ])
        #expect(mixed.count == 3 && mixed[0] == .integer(3) && mixed[2].string == "3")
        guard case .error = mixed[1] else {
            Issue.record("HGET on a string should answer WRONGTYPE, got \(mixed[1])")
            return
        }
        #expect(try await client.transaction([RedisCommand("INCR", .string(key))]) == [.integer(4)])
        let script = RedisScript("return redis.call('INCR', KEYS[1])")
        #expect(try await client.evaluate(script, keys: [.string(key)]) == .integer(5))
        let failure = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("NOSUCHCOMMAND")) }
        #expect(failure?.code == .serverError)
        #expect(try await client.send(RedisCommand("GET", .string(key))).string == "5")
        await client.shutdown()
        let closed = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
        #expect(closed?.code == .poolClosed)
    }

    @Test func aTimedOutCommandClosesOnlyThatConnectionAndTheNextCommandReconnects() async throws {
        let client = makeClient(try TestRedis.configuration())
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: RedisError.self) {
            try await client.send(RedisCommand("BLPOP", .string(TestRedis.key()), 5), timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        let reply = try await TestRedis.eventually { try await client.send(RedisCommand("PING")) }
        #expect(reply == .simpleString("PONG"))
    }

    @Test func recoversAfterAServerRestartAndFailsFastWhileItIsDown() async throws {
        let server = try PrivateRedisServer()
        try await server.start()
        let client = makeClient(server.configuration)
        defer { Task { await client.shutdown() } }
        let key = TestRedis.key()
        #expect(try await client.send(RedisCommand("SET", .string(key), "before")) == .simpleString("OK"))

        await server.stop()
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
            #expect([.connectionClosed, .connectionFailed].contains(error?.code), "\(String(describing: error))")
            #expect(ContinuousClock.now - started < .seconds(4))
        }

        try await server.start()
        let reply = try await TestRedis.eventually { try await client.send(RedisCommand("SET", .string(key), "after")) }
        #expect(reply == .simpleString("OK"))
        #expect(try await client.send(RedisCommand("GET", .string(key))).string == "after")
    }
}
