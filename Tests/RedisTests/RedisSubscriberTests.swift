import Foundation
import NIOCore
import Redis
import RedisTesting
import Testing

@Suite("RedisSubscriber against a real redis-server")
struct RedisSubscriberTests {
    /// Runs a subscriber and a consumer of its messages around `body`.
    func withSubscriber(
        _ connection: RedisConnection.Configuration,
        _ body: (RedisSubscriber, Received) async throws -> Void
    ) async throws {
        let subscriber = RedisSubscriber(
            configuration: .init(
                connection: connection, backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(500)),
                pingInterval: .seconds(1)),
            eventLoopGroup: TestRedis.group, logger: .quiet)
        let received = Received()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await subscriber.run() }
            group.addTask { for await message in subscriber.messages { received.append(message) } }
            defer { subscriber.close() }
            try await TestRedis.eventually { if subscriber.connections == 0 { throw CancellationError() } }
            try await body(subscriber, received)
        }
    }

    func publish(_ redis: RedisConnection, _ channel: String, _ payload: [UInt8]) async throws -> Int64? {
        try await redis.send(RedisCommand("PUBLISH", .string(channel), .bytes(payload))).int
    }

    @Test func subscribesPatternSubscribesAndUnsubscribes() async throws {
        let configuration = try TestRedis.configuration()
        let publisher = try await TestRedis.connect()
        defer { publisher.close() }
        let prefix = TestRedis.key()
        let channel = prefix + ":plain"
        try await withSubscriber(configuration) { subscriber, received in
            try await subscriber.subscribe([channel])
            try await subscriber.psubscribe([prefix + ":video:*"])
            let binary: [UInt8] = [0, 13, 10, 255, 1]
            #expect(try await publish(publisher, channel, binary) == 1)
            #expect(try await publish(publisher, prefix + ":video:7", Array("{\"views\":3}".utf8)) == 1)
            try await TestRedis.eventually { if received.messages.count < 2 { throw CancellationError() } }
            #expect(
                received.messages == [
                    RedisPubSubMessage(channel: channel, payload: ByteBuffer(bytes: binary)),
                    RedisPubSubMessage(
                        channel: prefix + ":video:7", pattern: prefix + ":video:*",
                        payload: ByteBuffer(string: "{\"views\":3}")),
                ])

            try await subscriber.unsubscribe([channel])
            #expect(try await publish(publisher, channel, [1]) == 0)
            try await subscriber.punsubscribe([prefix + ":video:*"])
            #expect(try await publish(publisher, prefix + ":video:8", [1]) == 0)
            #expect(received.messages.count == 2)
            #expect(subscriber.channels.isEmpty)
        }
    }

    @Test func subscribeWhileDisconnectedIsKeptAndApplied() async throws {
        let subscriber = RedisSubscriber(
            configuration: .init(connection: try TestRedis.configuration()), eventLoopGroup: TestRedis.group,
            logger: .quiet)
        let channel = TestRedis.key()
        let error = await #expect(throws: RedisError.self) { try await subscriber.subscribe([channel]) }
        #expect(error?.code == .connectionClosed)
        #expect(subscriber.channels == [channel])
        subscriber.close()
        let closed = await #expect(throws: RedisError.self) { try await subscriber.subscribe(["x"]) }
        #expect(closed?.code == .poolClosed)
    }

    @Test func resubscribesAfterAServerRestart() async throws {
        let server = try PrivateRedisServer()
        try await server.start()
        let channel = TestRedis.key()
        try await withSubscriber(server.configuration) { subscriber, received in
            try await subscriber.subscribe([channel])
            try await subscriber.psubscribe(["\(channel):*"])
            await server.stop()
            try await server.start()
            // The publisher reconnects as well; once both are back the subscription is restored.
            let delivered = try await TestRedis.eventually {
                let publisher = try await RedisConnection.connect(
                    configuration: server.configuration, on: TestRedis.loop(), logger: .quiet)
                defer { publisher.close() }
                let count = try await publish(publisher, channel, Array("after".utf8))
                if count != 1 { throw CancellationError() }
                return count
            }
            #expect(delivered == 1)
            try await TestRedis.eventually { if received.messages.isEmpty { throw CancellationError() } }
            #expect(received.messages.last?.payload == ByteBuffer(string: "after"))
            #expect(subscriber.connections >= 2)
        }
    }
}
