import Logging
import NIOCore
import NIOEmbedded
import Redis

/// An `EmbeddedChannel` around a `RedisChannelHandler`, with helpers to send and inspect.
final class EmbeddedRedis {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel

    init(pushHandler: (@Sendable (RedisPubSubMessage) -> Void)? = nil) throws {
        let handler = RedisChannelHandler(logger: .quiet, pushHandler: pushHandler)
        channel = EmbeddedChannel(handler: handler, loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
    }

    deinit {
        // Closing breaks the channel <-> pipeline <-> handler cycle, so the handler (and its hiredis reader) is freed.
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    /// Writes a request and returns the future of its reply.
    func send(
        _ command: RedisCommand, replies: Int = 1, timeout: TimeAmount? = nil, errorsAsValues: Bool = true
    ) throws -> EventLoopFuture<RESPValue> {
        let promise = loop.makePromise(of: RESPValue.self)
        let request = RedisRequest(
            command: command, expectedReplies: replies, timeout: timeout,
            errorRepliesAsValues: errorsAsValues, promise: promise)
        try channel.writeOutbound(request)
        return promise.futureResult
    }

    /// The bytes written so far, as one string.
    func written() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// Feeds server bytes.
    func receive(_ bytes: some Sequence<UInt8>) throws {
        try channel.writeInbound(ByteBuffer(bytes: Array(bytes)))
    }
}

extension EventLoopFuture {
    /// The result if the future has completed; call on its (embedded) loop.
    func peek() -> Result<Value, any Error>? {
        var result: Result<Value, any Error>?
        assumeIsolated().whenComplete { result = $0 }
        return result
    }

    /// The error if the future failed, as a `RedisError`.
    func redisError() -> RedisError? {
        if case .failure(let error) = peek() { error as? RedisError } else { nil }
    }
}

/// A bulk string value from text.
func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

extension Logger {
    /// A logger that drops everything, so expected failures do not clutter test output.
    static let quiet = Logger(label: "redis-tests", factory: { _ in SwiftLogNoOpLogHandler() })
}
