import NIOCore
import NIOEmbedded
import Redis
import Testing

@Suite("RESP codec: Swift encoder, hiredis reader (EmbeddedChannel)")
struct RESPCodecTests {
    /// Replies of every kind, one per request, as the server would send them.
    static let replies: [(wire: String, value: RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        (":-42\r\n", .integer(-42)),
        ("$5\r\nhello\r\n", bulk("hello")),
        ("$0\r\n\r\n", bulk("")),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("*0\r\n", .array([])),
        ("-WRONGTYPE Operation against a key\r\n", .error("WRONGTYPE Operation against a key")),
        (
            "*3\r\n*2\r\n:1\r\n$1\r\na\r\n*1\r\n*1\r\n$-1\r\n+x\r\n",
            .array([.array([.integer(1), bulk("a")]), .array([.array([.null])]), .simpleString("x")])
        ),
    ]

    @Test func encodesArraysOfBulkStrings() throws {
        let redis = try EmbeddedRedis()
        _ = try redis.send(RedisCommand("SET", "key", .bytes([0, 13, 10, 255]), 12, .double(-.infinity)))
        let expected: [UInt8] =
            Array("*5\r\n$3\r\nSET\r\n$3\r\nkey\r\n$4\r\n".utf8) + [0, 13, 10, 255]
            + Array("\r\n$2\r\n12\r\n$4\r\n-inf\r\n".utf8)
        let buffer = try #require(try redis.channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(buffer.readableBytesView) == expected)
    }

    @Test func encodesEmptyArguments() throws {
        let redis = try EmbeddedRedis()
        _ = try redis.send(RedisCommand("GET", ""))
        #expect(try redis.written() == "*2\r\n$3\r\nGET\r\n$0\r\n\r\n")
    }

    @Test func encodesIntegersAtTheirLimitsAndUnicodeByByteLength() throws {
        let redis = try EmbeddedRedis()
        var command = RedisCommand("ECHO", capacity: 8)
        command.append(.int(Int64.min))
        command.append(.int(0))
        command.append(.int(Int64.max))
        command.append(.string("ß€"))
        command.append(.buffer(ByteBuffer(string: "buf")))
        command.append(.double(1.5))
        #expect(command.count == 7)
        #expect(command.name == "ECHO")
        _ = try redis.send(command)
        #expect(
            try redis.written()
                == "*7\r\n$4\r\nECHO\r\n$20\r\n-9223372036854775808\r\n$1\r\n0\r\n"
                + "$19\r\n9223372036854775807\r\n$5\r\nß€\r\n$3\r\nbuf\r\n$3\r\n1.5\r\n")
    }

    @Test func commandsWrittenInOneLoopTickLeaveInOneWrite() throws {
        let redis = try EmbeddedRedis()
        let first = redis.loop.makePromise(of: RESPValue.self)
        let second = redis.loop.makePromise(of: RESPValue.self)
        // Written without a flush, as RedisConnection does: the handler flushes at the end of the tick.
        redis.channel.write(RedisRequest(command: RedisCommand("GET", "a"), timeout: nil, promise: first), promise: nil)
        redis.channel.write(
            RedisRequest(command: RedisCommand("GET", "b"), timeout: nil, promise: second), promise: nil)
        #expect(try redis.channel.readOutbound(as: ByteBuffer.self) == nil)
        redis.loop.run()
        let buffer = try #require(try redis.channel.readOutbound(as: ByteBuffer.self))
        #expect(
            String(buffer: buffer) == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n" + "*2\r\n$3\r\nGET\r\n$1\r\nb\r\n")
        #expect(try redis.channel.readOutbound(as: ByteBuffer.self) == nil)
        try redis.receive("$1\r\nx\r\n$-1\r\n".utf8)
        #expect(try first.futureResult.peek()?.get() == bulk("x"))
        #expect(try second.futureResult.peek()?.get() == .null)
    }

    @Test func decodesEveryReplyKindInOrder() throws {
        let redis = try EmbeddedRedis()
        let futures = try Self.replies.map { _ in try redis.send(RedisCommand("PING")) }
        try redis.receive(Self.replies.map(\.wire).joined().utf8)
        for (future, reply) in zip(futures, Self.replies) {
            #expect(try future.peek()?.get() == reply.value)
        }
    }

    @Test func decodesRepliesSplitAtEveryByteBoundary() throws {
        let wire = Array(Self.replies.map(\.wire).joined().utf8)
        for split in 0...wire.count {
            let redis = try EmbeddedRedis()
            let futures = try Self.replies.map { _ in try redis.send(RedisCommand("PING")) }
            try redis.receive(wire[..<split])
            try redis.receive(wire[split...])
            let values = try futures.map { try #require($0.peek()).get() }
            #expect(values == Self.replies.map(\.value), "split at \(split)")
        }
    }

    @Test func decodesRepliesFedOneByteAtATime() throws {
        let redis = try EmbeddedRedis()
        let futures = try Self.replies.map { _ in try redis.send(RedisCommand("PING")) }
        for byte in Self.replies.map(\.wire).joined().utf8 {
            try redis.receive([byte])
        }
        #expect(try futures.map { try #require($0.peek()).get() } == Self.replies.map(\.value))
    }

    @Test(arguments: [1 << 20, 64 * 1024])
    func decodesLargeBulkStringsInChunks(chunk: Int) throws {
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let redis = try EmbeddedRedis()
        let future = try redis.send(RedisCommand("GET", "big"))
        let wire = Array("$\(payload.count)\r\n".utf8) + payload + Array("\r\n".utf8)
        for start in stride(from: 0, to: wire.count, by: chunk) {
            #expect(future.peek() == nil)
            try redis.receive(wire[start..<min(start + chunk, wire.count)])
        }
        let value = try #require(future.peek()).get()
        #expect(value.bytes == payload)
    }

    @Test func topLevelErrorFailsWithServerErrorWhenAskedTo() throws {
        let redis = try EmbeddedRedis()
        let future = try redis.send(RedisCommand("INCR", "list"), errorsAsValues: false)
        let next = try redis.send(RedisCommand("PING"), errorsAsValues: false)
        try redis.receive("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+PONG\r\n".utf8)
        let error = try #require(future.redisError())
        #expect(error.code == .serverError)
        #expect(error.serverErrorPrefix == "WRONGTYPE")
        #expect(try next.peek()?.get() == .simpleString("PONG"))
        #expect(redis.channel.isActive)
    }

    @Test func garbageIsAProtocolErrorThatClosesTheConnection() throws {
        let redis = try EmbeddedRedis()
        let first = try redis.send(RedisCommand("PING"))
        let second = try redis.send(RedisCommand("PING"))
        try redis.receive("?what\r\n".utf8)
        #expect(first.redisError()?.code == .protocolError)
        #expect(second.redisError()?.code == .protocolError)
        #expect(!redis.channel.isActive)
        #expect(throws: RedisError.self) { try redis.send(RedisCommand("PING")) }
    }

    @Test func unexpectedReplyIsAProtocolError() throws {
        let redis = try EmbeddedRedis()
        try redis.receive("+OK\r\n".utf8)
        #expect(!redis.channel.isActive)
    }

    @Test func timeoutFailsTheCommandAndClosesTheConnection() throws {
        let redis = try EmbeddedRedis()
        let slow = try redis.send(RedisCommand("BLPOP", "k", 5), timeout: .milliseconds(200))
        let queued = try redis.send(RedisCommand("PING"), timeout: .seconds(10))
        redis.loop.advanceTime(by: .milliseconds(199))
        #expect(slow.peek() == nil)
        redis.loop.advanceTime(by: .milliseconds(1))
        #expect(slow.redisError()?.code == .timeout)
        #expect(queued.redisError()?.code == .connectionClosed)
        #expect(!redis.channel.isActive)
    }

    @Test func answeredCommandsDoNotTimeOut() throws {
        let redis = try EmbeddedRedis()
        let first = try redis.send(RedisCommand("PING"), timeout: .milliseconds(100))
        try redis.receive("+PONG\r\n".utf8)
        let second = try redis.send(RedisCommand("PING"), timeout: .milliseconds(100))
        redis.loop.advanceTime(by: .milliseconds(150))
        #expect(try first.peek()?.get() == .simpleString("PONG"))
        #expect(second.redisError()?.code == .timeout)
    }

    @Test func closeFailsInFlightCommands() throws {
        let redis = try EmbeddedRedis()
        let future = try redis.send(RedisCommand("PING"))
        try redis.channel.close().wait()
        #expect(future.redisError()?.code == .connectionClosed)
    }

    @Test func subscriberRoutesPushesAndGroupsConfirmations() throws {
        let received = Received()
        let redis = try EmbeddedRedis(pushHandler: { received.append($0) })
        let subscribe = try redis.send(RedisCommand("SUBSCRIBE", "a", "b"), replies: 2)
        try redis.receive(
            ("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n" + "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
                + "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
                + "*4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$2\r\nbc\r\n$3\r\nyou\r\n").utf8)
        let confirmations = try #require(subscribe.peek()).get().array
        #expect(confirmations?.count == 2)
        #expect(
            received.messages == [
                RedisPubSubMessage(channel: "a", payload: ByteBuffer(string: "hi")),
                RedisPubSubMessage(channel: "bc", pattern: "b*", payload: ByteBuffer(string: "you")),
            ])
    }
}
