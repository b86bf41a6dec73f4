package import NIOCore

/// A command on its way into `RedisChannelHandler`, with the promise its reply completes.
package struct RedisRequest: Sendable {
    /// What to send.
    package var command: RedisCommand
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
}
