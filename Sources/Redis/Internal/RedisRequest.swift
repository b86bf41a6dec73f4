package import NIOCore

/// A command on its way into `RedisChannelHandler`, with the promise its reply completes.
package struct RedisRequest: Sendable {
    /// What to send.
    package var command: RedisCommand
    /// Commands written right after `command`, in the same buffer; their replies join its reply
    /// array (see ``pipeline(_:timeout:promise:)``).
    package var pipelined: [RedisCommand] = []
    /// How many replies the command produces (SUBSCRIBE a b c: 3); they arrive as one array.
    package var expectedReplies: Int
    /// Fails the command and closes the connection if no reply arrives in time; nil waits forever.
    package var timeout: TimeAmount?
    /// Deliver an error reply as `.error` instead of failing the promise (pipelines, EXEC).
    package var errorRepliesAsValues: Bool
    /// Completed with the reply on the channel's event loop.
    package var promise: EventLoopPromise<RESPValue>

    /// A request; `expectedReplies` is 1 except for (un)subscribe commands.
    package init(
        command: RedisCommand,
        expectedReplies: Int = 1,
        timeout: TimeAmount?,
        errorRepliesAsValues: Bool = false,
        promise: EventLoopPromise<RESPValue>
    ) {
        self.command = command
        self.expectedReplies = max(1, expectedReplies)
        self.timeout = timeout
        self.errorRepliesAsValues = errorRepliesAsValues
        self.promise = promise
    }

    /// Several commands as one request: one write, one promise, the replies as one array in order,
    /// error replies among them as `.error` values. A single command's reply comes back as itself.
    package static func pipeline(
        _ commands: [RedisCommand], timeout: TimeAmount?, promise: EventLoopPromise<RESPValue>
    ) -> RedisRequest {
        var request = RedisRequest(
            command: commands[0], expectedReplies: commands.count, timeout: timeout, errorRepliesAsValues: true,
            promise: promise)
        request.pipelined = Array(commands.dropFirst())
        return request
    }
}
