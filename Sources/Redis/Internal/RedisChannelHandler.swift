package import Logging
package import NIOCore

/// Encodes requests (RESP written in Swift into one output buffer, flushed once per loop tick),
/// decodes replies with hiredis and completes promises in FIFO order.
///
/// All state lives on the channel's event loop. A command timeout fails that command, fails every
/// other in-flight one with `connectionClosed` and closes the channel: the reply stream is out of step.
/// With a `pushHandler` the connection is a subscriber: `message`/`pmessage` pushes go there instead.
package final class RedisChannelHandler: ChannelDuplexHandler {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundIn = RedisRequest
    package typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<RESPValue>
        var remaining: Int
        var collected: [RESPValue]
        var deadline: NIODeadline?
        var errorRepliesAsValues: Bool
    }

    private enum State {
        case active
        case closed(RedisError)
    }

    private var state = State.active
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    private var context: ChannelHandlerContext?
    /// Commands encoded since the last flush, and the write promises waiting on them.
    private var output = ByteBuffer()
    private var outputPromise: EventLoopPromise<Void>?
    private var flushScheduled = false
    private let reader = RESPReader()
    private var timer: (deadline: NIODeadline, task: Scheduled<Void>)?
    private let pushHandler: (@Sendable (RedisPubSubMessage) -> Void)?
    private let logger: Logger

    /// A handler; pass `pushHandler` for a pub/sub connection.
    package init(logger: Logger, pushHandler: (@Sendable (RedisPubSubMessage) -> Void)? = nil) {
        self.logger = logger
        self.pushHandler = pushHandler
    }

    /// The number of commands waiting for their reply.
    package var inFlight: Int { pending.count }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.output = context.channel.allocator.buffer(capacity: 1024)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.enqueue(unwrapOutboundIn(data), writePromise: promise)
    }

    package func flush(context: ChannelHandlerContext) {
        self.flushOutput(context: context)
    }

    /// Adds a request's commands to the output, to go out with the next flush: an explicit one, or
    /// the one this schedules for the end of the loop's current tick. Every command sent during one
    /// burst of work on the loop (the requests of one HTTP/2 read) leaves in one write.
    ///
    /// Call on the channel's event loop. ``RedisConnection`` calls it directly (no pipeline walk,
    /// no boxed request); channel writes (tests, other handlers) come through `write`.
    package func enqueue(_ request: RedisRequest, writePromise: EventLoopPromise<Void>? = nil) {
        guard case .active = self.state, let context = self.context else {
            let error: RedisError
            if case .closed(let reason) = self.state {
                error = reason
            } else {
                error = RedisError(code: .connectionClosed, message: "connection closed")
            }
            request.promise.fail(error)
            writePromise?.fail(error)
            return
        }
        request.command.write(into: &self.output)
        for command in request.pipelined { command.write(into: &self.output) }
        if let writePromise {
            if let pending = self.outputPromise {
                pending.futureResult.cascade(to: writePromise)
            } else {
                self.outputPromise = writePromise
            }
        }
        let deadline = request.timeout.map { context.eventLoop.now + $0 }
        self.pending.append(
            Pending(
                promise: request.promise, remaining: request.expectedReplies, collected: [],
                deadline: deadline, errorRepliesAsValues: request.errorRepliesAsValues))
        if let deadline { self.armTimer(context: context, deadline: deadline) }
        if !self.flushScheduled {
            self.flushScheduled = true
            context.eventLoop.assumeIsolated().execute {
                self.flushScheduled = false
                guard let context = self.context, self.output.readableBytes > 0 else { return }
                self.flushOutput(context: context)
            }
        }
    }

    /// Hands the accumulated commands to the channel as one buffer and flushes.
    private func flushOutput(context: ChannelHandlerContext) {
        if self.output.readableBytes > 0 {
            let promise = self.outputPromise
            self.outputPromise = nil
            context.write(self.wrapOutboundOut(self.output), promise: promise)
        }
        context.flush()
        // The socket has usually taken every byte by now, so the storage is ours again and is
        // reused; if the channel still holds it, clearing allocates a fresh one.
        self.output.clear()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .active = state else { return }
        do throws(RedisError) {
            try reader.feed(unwrapInboundIn(data))
            while case .active = state, let value = try reader.next() {
                try route(value)
            }
        } catch {
            logger.warning("redis protocol error", metadata: ["error": "\(error)"])
            closeAndFail(context: context, error)
        }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError(code: .connectionClosed, message: "connection closed"))
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("redis connection error", metadata: ["error": "\(error)"])
        closeAndFail(context: context, RedisError(code: .connectionClosed, message: "connection error", cause: error))
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisError(code: .connectionClosed, message: "handler removed"))
        self.context = nil
    }

    private func route(_ value: RESPValue) throws(RedisError) {
        if let pushHandler, let message = RedisPubSubMessage(push: value) {
            pushHandler(message)
            return
        }
        guard var head = pending.first else {
            throw RedisError(code: .protocolError, message: "reply without a pending command")
        }
        // An error reply fails the command, unless the caller takes errors as values: then it is
        // collected like any other reply (a pipeline's replies stay in step).
        if case .error(let message) = value, !head.errorRepliesAsValues {
            pending.removeFirst()
            head.promise.fail(RedisError(code: .serverError, message: message))
            return
        }
        if head.remaining > 1 {
            head.remaining -= 1
            head.collected.append(value)
            pending[pending.startIndex] = head
            return
        }
        pending.removeFirst()
        if head.collected.isEmpty {
            head.promise.succeed(value)
        } else {
            head.collected.append(value)
            head.promise.succeed(.array(head.collected))
        }
    }

    private func armTimer(context: ChannelHandlerContext, deadline: NIODeadline) {
        if let timer, timer.deadline <= deadline { return }
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired(context: context)
        }
        timer = (deadline, task)
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard case .active = state else { return }
        let now = context.eventLoop.now
        let expired = pending.contains { $0.deadline.map { $0 <= now } ?? false }
        if expired {
            logger.warning("redis command timed out, closing connection", metadata: ["in_flight": "\(pending.count)"])
            closeAndFail(
                context: context,
                RedisError(code: .connectionClosed, message: "connection closed after another command timed out"),
                timedOutBefore: now)
        } else if let next = pending.lazy.compactMap(\.deadline).min() {
            armTimer(context: context, deadline: next)
        }
    }

    /// Closes the channel first (so no one reuses it), then fails what was in flight.
    private func closeAndFail(
        context: ChannelHandlerContext, _ error: RedisError, timedOutBefore now: NIODeadline? = nil
    ) {
        let failing = drain(error)
        context.close(promise: nil)
        fail(failing, error, timedOutBefore: now)
    }

    /// Moves to `closed` and fails every pending command.
    private func failAll(_ error: RedisError) {
        fail(drain(error), error)
    }

    private func drain(_ error: RedisError) -> CircularBuffer<Pending> {
        if case .active = state { state = .closed(error) }
        if let promise = outputPromise {
            outputPromise = nil
            promise.fail(error)
        }
        output.clear()
        timer?.task.cancel()
        timer = nil
        let failing = pending
        pending.removeAll()
        return failing
    }

    /// Fails `entries`; those past their deadline get `timeout`, the rest `error`.
    private func fail(_ entries: CircularBuffer<Pending>, _ error: RedisError, timedOutBefore now: NIODeadline? = nil) {
        for entry in entries {
            if let now, let deadline = entry.deadline, deadline <= now {
                entry.promise.fail(RedisError(code: .timeout, message: "no reply within the command timeout"))
            } else {
                entry.promise.fail(error)
            }
        }
    }
}
