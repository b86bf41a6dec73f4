import HTTP2
import Logging
import NIOCore

/// One gRPC call on the server: validates the head, assembles requests, runs the handler in a
/// Task pinned to the connection's event loop, and writes responses and the status back.
///
/// Lives on the event loop; the handler's Task reaches it through `NIOLoopBound`.
final class ServerCall: StreamHandler {
    enum State {
        /// Waiting for the request head.
        case idle
        /// Unary and server-streaming calls: collecting the single request.
        case collecting(MethodHandler, ServerContext)
        /// The handler runs.
        case running
        /// The status is sent or the stream is gone.
        case finished
    }

    private let router: Router
    private let executor: EventLoopTaskExecutor
    private let maxMessageSize: Int
    private let remoteAddress: SocketAddress?
    private var logger: Logger

    private var state = State.idle
    private var stream: Stream?
    private var deframer: MessageDeframer
    private var request: ByteBuffer?
    private var task: Task<Void, Never>?
    private var deadlineTimer: Scheduled<Void>?
    private var headersSent = false

    // Streaming requests: messages go to the handler through `requests`; receive window is held
    // back while more than `requestBufferLimit` bytes wait to be taken.
    private var requests: AsyncThrowingStream<ByteBuffer, any Error>.Continuation?
    private var bufferedRequestBytes = 0
    private var heldWindowBytes = 0
    private var requestBufferLimit: Int

    // Streaming responses: a writer waiting for the stream to drain.
    private var pendingWrite: (ByteBuffer, CheckedContinuation<Void, any Error>)?

    init(
        router: Router, executor: EventLoopTaskExecutor, maxMessageSize: Int, remoteAddress: SocketAddress?,
        logger: Logger
    ) {
        self.router = router
        self.executor = executor
        self.maxMessageSize = maxMessageSize
        self.remoteAddress = remoteAddress
        self.logger = logger
        self.deframer = MessageDeframer(maxMessageSize: maxMessageSize)
        self.requestBufferLimit = max(maxMessageSize, 1 << 20)
    }

    // MARK: StreamHandler

    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        guard case .idle = self.state else { return }  // trailers from a client: ignored
        self.stream = stream
        let head: RequestHead
        do {
            head = try RequestHead(headers: headers, router: self.router)
        } catch let rejection {
            switch rejection {
            case .http(let status):
                self.state = .finished
                stream.sendHeaders([Header(":status", status)], endStream: true)
            case .rpc(let error):
                self.finish(error)
            }
            return
        }
        let context = ServerContext(
            method: head.handler.descriptor, metadata: head.metadata,
            deadline: head.timeout.map { stream.eventLoop.now + TimeAmount($0) }, remoteAddress: self.remoteAddress)
        if let deadline = context.deadline {
            self.deadlineTimer = stream.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.deadlineExceeded()
            }
        }
        switch head.handler.descriptor.kind {
        case .unary, .serverStreaming:
            self.state = .collecting(head.handler, context)
            if endStream { self.streamReceivedEnd(stream) }
        case .clientStreaming, .bidirectionalStreaming:
            let (requests, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            self.requests = continuation
            if endStream { continuation.finish() }
            self.start(head.handler, context: context, request: nil, requests: requests)
        }
    }

    func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
        let byteCount = data.readableBytes
        switch self.state {
        case .collecting:
            do {
                try self.deframer.feed(data) { message throws(RPCError) in
                    guard self.request == nil else {
                        throw RPCError(code: .internal, message: "more than one request message on a unary call")
                    }
                    self.request = message
                }
                stream.consume(byteCount)
            } catch {
                self.finish(error)
            }
        case .running where self.requests != nil:
            do {
                try self.deframer.feed(data) { message throws(RPCError) in
                    self.bufferedRequestBytes += message.readableBytes + 5
                    self.requests?.yield(message)
                }
                if self.bufferedRequestBytes <= self.requestBufferLimit {
                    stream.consume(byteCount)
                } else {
                    self.heldWindowBytes += byteCount
                }
            } catch {
                self.finish(error)
            }
        default:
            stream.consume(byteCount)
        }
    }

    func streamReceivedEnd(_ stream: Stream) {
        switch self.state {
        case .collecting(let handler, let context):
            guard self.deframer.isEmpty, let request = self.request else {
                let message = self.request == nil ? "no request message" : "truncated request message"
                self.finish(RPCError(code: .internal, message: message))
                return
            }
            self.request = nil
            self.start(handler, context: context, request: request, requests: nil)
        case .running:
            if self.deframer.isEmpty {
                self.requests?.finish()
            } else {
                self.requests?.finish(throwing: RPCError(code: .internal, message: "truncated request message"))
            }
        case .idle, .finished:
            break
        }
    }

    func streamClosed(_ stream: Stream, reason: CloseReason) {
        let wasFinished: Bool
        if case .finished = self.state { wasFinished = true } else { wasFinished = false }
        self.state = .finished
        self.cleanUp(cancelled: RPCError(code: .cancelled, message: "the call was cancelled"))
        if !wasFinished, reason != .normal {
            self.logger.debug("rpc cancelled by peer", metadata: ["reason": "\(reason)"])
        }
        self.stream = nil
    }

    func streamWritabilityChanged(_ stream: Stream, isWritable: Bool) {
        guard isWritable, let (message, continuation) = self.pendingWrite else { return }
        self.pendingWrite = nil
        self.writeMessage(message)
        continuation.resume()
    }

    // MARK: Running the handler

    private func start(
        _ handler: MethodHandler, context: ServerContext, request: ByteBuffer?,
        requests: AsyncThrowingStream<ByteBuffer, any Error>?
    ) {
        self.state = .running
        let body: MethodHandler.AsyncBody
        switch handler.body {
        case .inline(let inline):
            self.runInline(inline, request: request!, context: context)
            return
        case .async(let async):
            body = async
        }
        let call = NIOLoopBound(self, eventLoop: self.executor.eventLoop)
        let raw = RawCall(context: context, request: request, requests: requests, call: call)
        let task = Self.spawn(body, raw, call, on: self.executor)
        // A handler that never suspended has already finished (and been answered): nothing to cancel.
        if case .running = self.state { self.task = task }
    }

    private func runInline(_ handler: MethodHandler.InlineBody, request: ByteBuffer, context: ServerContext) {
        let outcome: RPCError?
        do {
            self.writeMessage(try handler(request, context))
            outcome = nil
        } catch {
            outcome = Self.status(for: error)
        }
        self.handlerReturned(outcome)
    }

    private static func spawn(
        _ body: @escaping MethodHandler.AsyncBody, _ raw: RawCall, _ call: NIOLoopBound<ServerCall>,
        on executor: EventLoopTaskExecutor
    ) -> Task<Void, Never> {
        // Started at once on this thread (the loop's), up to the handler's first suspension; it
        // resumes on the loop's executor. No job is enqueued to start it.
        Task.immediate(executorPreference: executor) {
            let outcome = await Self.run(body, raw)
            Self.onLoop(call) { $0.handlerReturned(outcome) }
        }
    }

    /// Runs a handler to its end; nil when it succeeded.
    private nonisolated(nonsending) static func run(_ body: MethodHandler.AsyncBody, _ call: RawCall) async -> RPCError?
    {
        do {
            try await body(call)
            return nil
        } catch {
            return Self.status(for: error)
        }
    }

    /// The status a handler's error becomes.
    private static func status(for error: any Error) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case is CancellationError:
            return RPCError(code: .cancelled, message: "the call was cancelled")
        default:
            // Details stay in the log; the peer learns only that the server failed.
            return RPCError(code: .unknown, message: "the server failed to handle the call", cause: error)
        }
    }

    static func onLoop(_ call: NIOLoopBound<ServerCall>, _ body: @escaping @Sendable (ServerCall) -> Void) {
        if call.eventLoop.inEventLoop {
            body(call.value)
        } else {
            call.eventLoop.execute { body(call.value) }
        }
    }

    private func handlerReturned(_ error: RPCError?) {
        // The Task is over: nothing left to cancel.
        self.task = nil
        if let error, error.code == .unknown, let cause = error.cause {
            self.logger.error("rpc handler failed", metadata: ["error": "\(String(reflecting: cause))"])
        }
        if let error { self.finish(error) } else { self.finish(nil) }
    }

    private func deadlineExceeded() {
        self.deadlineTimer = nil
        self.finish(RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
    }

    func requestBytesTaken(_ bytes: Int) {
        self.bufferedRequestBytes -= bytes
        if self.bufferedRequestBytes <= self.requestBufferLimit, self.heldWindowBytes > 0 {
            self.stream?.consume(self.heldWindowBytes)
            self.heldWindowBytes = 0
        }
    }

    // MARK: Writing

    /// Writes if the stream has room; false if the caller must wait. Throws once the call is over.
    func writeNow(_ message: ByteBuffer) throws -> Bool {
        guard case .running = self.state, let stream = self.stream else {
            throw RPCError(code: .cancelled, message: "the call is over")
        }
        guard stream.isWritable, self.pendingWrite == nil else { return false }
        self.writeMessage(message)
        return true
    }

    func writeWhenWritable(_ message: ByteBuffer, _ continuation: CheckedContinuation<Void, any Error>) {
        do {
            if try self.writeNow(message) {
                continuation.resume()
            } else {
                self.pendingWrite = (message, continuation)
            }
        } catch {
            continuation.resume(throwing: error)
        }
    }

    private func writeMessage(_ message: ByteBuffer) {
        guard let stream = self.stream else { return }
        if !self.headersSent {
            self.headersSent = true
            stream.sendHeaders(ResponseHeaders.ok, endStream: false)
        }
        stream.write(message)
    }

    /// Sends the status (OK when `error` is nil) and ends the call.
    private func finish(_ error: RPCError?) {
        guard let stream = self.stream else { return }
        if case .finished = self.state { return }
        self.state = .finished
        let trailers = ResponseHeaders.trailers(for: error, trailersOnly: !self.headersSent)
        stream.sendTrailers(trailers)
        self.cleanUp(cancelled: error ?? RPCError(code: .cancelled, message: "the call is over"))
    }

    private func cleanUp(cancelled error: RPCError) {
        self.deadlineTimer?.cancel()
        self.deadlineTimer = nil
        self.task?.cancel()
        self.task = nil
        self.requests?.finish(throwing: error)
        self.requests = nil
        if let (_, continuation) = self.pendingWrite {
            self.pendingWrite = nil
            continuation.resume(throwing: error)
        }
    }
}
