import HTTP2
import Logging
import NIOCore
import NIOPosix

/// The loop-bound half of `ClientConnection`: connection state, waiting calls, and call start-up.
final class ClientConnectionCore: ConnectionDelegate {
    private let host: String
    private let port: Int
    private let authority: String
    /// The request fields every call on this connection sends, built once.
    private let staticHeaders: [Header]
    /// One timer for the deadlines of every call on this connection.
    private let deadlines: DeadlineQueue
    private let eventLoop: any EventLoop
    private let configuration: ClientConnection.Configuration
    private let logger: Logger
    private var machine: ConnectionStateMachine
    /// Calls waiting for a connection, or for a free stream on it.
    private var waiting = CircularBuffer<(Result<Connection, RPCError>) -> Void>()
    private var closePromises: [EventLoopPromise<Void>] = []

    init(
        host: String, port: Int, eventLoop: any EventLoop, configuration: ClientConnection.Configuration,
        logger: Logger
    ) {
        self.host = host
        self.port = port
        self.authority = "\(host):\(port)"
        self.staticHeaders = ClientConnectionCore.staticHeaders(authority: self.authority)
        self.eventLoop = eventLoop
        self.deadlines = DeadlineQueue(eventLoop: eventLoop)
        self.configuration = configuration
        self.logger = logger
        self.machine = ConnectionStateMachine(backoff: configuration.backoff)
    }

    // MARK: Calls

    func unary(
        _ method: MethodDescriptor, request: ByteBuffer, options: CallOptions,
        promise: EventLoopPromise<UnaryResponse<ByteBuffer>>, cancellation: CallCancellation? = nil,
        attempt: Int = 0, deadline: NIODeadline? = nil
    ) {
        if let cancellation, cancellation.isCancelled {
            promise.fail(RPCError(code: .cancelled, message: "the call was cancelled"))
            return
        }
        // One deadline for the call and its transparent retry.
        let deadline = deadline ?? options.timeout.map { self.eventLoop.now + TimeAmount($0) }
        let response = UnaryCollector()
        let call = ClientCall(
            eventLoop: self.eventLoop, maxMessageSize: options.maxResponseMessageSize, consumesOnReceipt: true,
            deadline: deadline, deadlines: self.deadlines,
            onMessage: { response.received($0) },
            onFinish: { outcome, initialMetadata in
                self.callFinished()
                cancellation?.call = nil
                switch outcome {
                case .success(let trailingMetadata):
                    switch response.result(initial: initialMetadata, trailing: trailingMetadata) {
                    case .success(let answer): promise.succeed(answer)
                    case .failure(let failure): promise.fail(failure.error)
                    }
                case .failure(let failure)
                where !failure.mayHaveBeenProcessed && failure.code == .unavailable && attempt == 0:
                    // The server never saw it (no stream, REFUSED_STREAM, or past a GOAWAY): safe to send again.
                    self.unary(
                        method, request: request, options: options, promise: promise, cancellation: cancellation,
                        attempt: attempt + 1, deadline: deadline)
                case .failure(let failure):
                    promise.fail(failure.error)
                }
            })
        cancellation?.call = call
        self.withConnection(
            start: { connection in
                call.start(
                    on: connection, staticHeaders: self.staticHeaders, method: method, metadata: options.metadata,
                    request: request)
            },
            fail: { call.failBeforeStart($0) })
    }

    /// Starts a streaming call; with `request`, that is the only request and the request side
    /// ends with it (a server-streaming call: head and message leave together).
    func startStreamingCall(
        _ method: MethodDescriptor, options: CallOptions, request: ByteBuffer?,
        messages: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    ) -> ClientCall {
        let call = ClientCall(
            eventLoop: self.eventLoop, maxMessageSize: options.maxResponseMessageSize, consumesOnReceipt: false,
            deadline: options.timeout.map { self.eventLoop.now + TimeAmount($0) }, deadlines: self.deadlines,
            onMessage: { messages.yield($0) },
            onFinish: { outcome, _ in
                self.callFinished()
                switch outcome {
                case .success: messages.finish()
                case .failure(let failure): messages.finish(throwing: failure.error)
                }
            })
        self.withConnection(
            start: { connection in
                call.start(
                    on: connection, staticHeaders: self.staticHeaders, method: method, metadata: options.metadata,
                    request: request)
            },
            fail: { call.failBeforeStart($0) })
        return call
    }

    /// The fixed request fields of every call to `authority`.
    static func staticHeaders(authority: String) -> [Header] {
        [
            Header(":method", "POST"), Header(":scheme", "http"), Header(":authority", authority),
            Header("content-type", "application/grpc"), Header("te", "trailers"), Header("user-agent", "halo-rpc"),
        ]
    }

    // MARK: Connection

    private func withConnection(start: @escaping (Connection) -> Void, fail: @escaping (RPCError) -> Void) {
        let waiter: (Result<Connection, RPCError>) -> Void = { result in
            switch result {
            case .success(let connection): start(connection)
            case .failure(let error): fail(error)
            }
        }
        switch self.machine.callRequested(now: self.eventLoop.now) {
        case .start(let connection):
            if self.waiting.isEmpty, Self.hasFreeStream(connection) {
                start(connection)
            } else {
                self.enqueue(waiter)
            }
        case .wait:
            self.enqueue(waiter)
        case .waitAndConnect:
            self.enqueue(waiter)
            self.connect()
        case .fail(let error):
            fail(error)
        }
    }

    private func enqueue(_ waiter: @escaping (Result<Connection, RPCError>) -> Void) {
        guard self.waiting.count < self.configuration.maxWaitingCalls else {
            waiter(.failure(RPCError(code: .resourceExhausted, message: "too many calls waiting for a connection")))
            return
        }
        self.waiting.append(waiter)
    }

    private func connect() {
        self.logger.debug("connecting", metadata: ["target": "\(self.authority)"])
        let configuration = self.configuration
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(role: .client, configuration: configuration.http2, delegate: nil))
                }
            }
            .connect(host: self.host, port: self.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard let connection = try? channel.pipeline.syncOperations.handler(type: Connection.self) else {
                        channel.close(promise: nil)
                        self.connectFailed(RPCError(code: .internal, message: "no HTTP/2 handler"))
                        return
                    }
                    connection.delegate = self
                    if self.machine.connected(connection) {
                        self.startWaiting(on: connection)
                    } else {
                        channel.close(promise: nil)
                    }
                case .failure(let error):
                    self.connectFailed(error)
                }
            }
    }

    private func connectFailed(_ cause: any Error) {
        let error = self.machine.connectFailed(cause, now: self.eventLoop.now)
        self.logger.debug("connect failed", metadata: ["target": "\(self.authority)", "error": "\(cause)"])
        let waiting = self.waiting
        self.waiting.removeAll()
        for waiter in waiting { waiter(.failure(error)) }
    }

    /// Starts waiting calls while the connection has free streams.
    private func startWaiting(on connection: Connection) {
        while !self.waiting.isEmpty, Self.hasFreeStream(connection) {
            self.waiting.removeFirst()(.success(connection))
        }
    }

    /// Whether a new stream fits under the server's limit (known once its SETTINGS arrived).
    private static func hasFreeStream(_ connection: Connection) -> Bool {
        connection.isAcceptingStreams && connection.hasRemoteSettings
            && connection.activeStreamCount < connection.remoteMaxConcurrentStreams
    }

    private func callFinished() {
        guard !self.waiting.isEmpty else { return }
        // Start the next waiting call on the next tick, outside the finishing call's callbacks.
        self.eventLoop.assumeIsolated().execute {
            if case .ready(let connection) = self.machine.state { self.startWaiting(on: connection) }
        }
    }

    func shutDown(promise: EventLoopPromise<Void>) {
        let waiting = self.waiting
        self.waiting.removeAll()
        for waiter in waiting { waiter(.failure(RPCError(code: .unavailable, message: "the client is shut down"))) }
        guard let connection = self.machine.shutDown(), let context = connection.context else {
            promise.succeed()
            return
        }
        context.channel.closeFuture.cascade(to: promise)
        connection.beginGracefulShutdown()
    }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, receivedGoAway lastStreamID: Int32, errorCode: HTTP2.ErrorCode) {
        self.machine.connectionEnded(connection)
        self.redispatchWaiting()
    }

    func connectionReceivedSettings(_ connection: Connection) {
        self.startWaiting(on: connection)
    }

    func connectionClosed(_ connection: Connection) {
        self.machine.connectionEnded(connection)
        self.redispatchWaiting()
    }

    /// Calls that waited for a stream on a connection that went away try again on a new one.
    private func redispatchWaiting() {
        guard !self.waiting.isEmpty else { return }
        let waiting = self.waiting
        self.waiting.removeAll()
        for waiter in waiting {
            self.withConnection(
                start: { waiter(.success($0)) }, fail: { waiter(.failure($0)) })
        }
    }
}

/// Lets a caller on another thread cancel a unary call, including its transparent retry.
/// Used only on the connection's event loop.
final class CallCancellation {
    /// The attempt in flight, if any.
    var call: ClientCall?
    private(set) var isCancelled = false

    func cancel() {
        self.isCancelled = true
        self.call?.cancel()
    }
}
