import NIOCore
import NIOEmbedded
import Redis
import Testing

@Suite("One request for a whole pipeline")
struct PipelinedRequestTests {
    func send(_ commands: [RedisCommand], on redis: EmbeddedRedis) throws -> EventLoopFuture<RESPValue> {
        let promise = redis.loop.makePromise(of: RESPValue.self)
        try redis.channel.writeOutbound(RedisRequest.pipeline(commands, timeout: nil, promise: promise))
        return promise.futureResult
    }

    @Test func writesEveryCommandInOneBufferAndCollectsTheRepliesInOrder() throws {
        let redis = try EmbeddedRedis()
        let replies = try send([RedisCommand("MULTI"), RedisCommand("INCR", "k"), RedisCommand("EXEC")], on: redis)
        var buffers = 0
        var written = ""
        while let buffer = try redis.channel.readOutbound(as: ByteBuffer.self) {
            buffers += 1
            written += String(buffer: buffer)
        }
        #expect(buffers == 1)
        #expect(written == "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*1\r\n$4\r\nEXEC\r\n")
        // Split at every byte on the way in: the replies still arrive as one array.
        for byte in "+OK\r\n+QUEUED\r\n*1\r\n:1\r\n".utf8 { try redis.receive([byte]) }
        #expect(
            try #require(replies.peek()).get()
                == .array([.simpleString("OK"), .simpleString("QUEUED"), .array([.integer(1)])]))
    }

    @Test func anErrorReplyInTheMiddleIsAValueAndTheNextRequestStaysInStep() throws {
        let redis = try EmbeddedRedis()
        let pipeline = try send([RedisCommand("GET", "a"), RedisCommand("HGET", "a", "f")], on: redis)
        let after = try redis.send(RedisCommand("PING"), errorsAsValues: false)
        try redis.receive("$1\r\nx\r\n-WRONGTYPE not a hash\r\n+PONG\r\n".utf8)
        #expect(
            try #require(pipeline.peek()).get()
                == .array([.bulkString(ByteBuffer(string: "x")), .error("WRONGTYPE not a hash")]))
        #expect(try #require(after.peek()).get() == .simpleString("PONG"))
    }
}
