import HTTP2
import NIOCore

/// One gRPC call on the client, on its connection's event loop: sends the head and messages,
/// deframes responses, enforces the deadline, and reports exactly one outcome.
///
/// The lifecycle is `ClientCallStateMachine`; this class performs its actions and keeps what
/// is not lifecycle: the deframer, writes waiting for the stream, and held receive window.
final class ClientCall: StreamHandler, DeadlineWatched {
    typealias Outcome = ClientCallStateMachine.Outcome

    private let eventLoop: any EventLoop
    private let onMessage: (ByteBuffer) -> Void
    private var onFinish: ((Outcome, _ initialMetadata: Metadata) -> Void)?
    private var machine = ClientCallStateMachine()
    private var deframer: MessageDeframer
    private var stream: Stream?
    /// The connection's deadline watch, and this call's place in it (-1 when not watched).
    private let deadlines: DeadlineQueue
    var deadlineSlot = -1
    private var pendingWrite: (ByteBuffer, CheckedContinuation<Void, any Error>)?
    /// Messages written before the stream opened (streaming calls wait for a connection).
    private var writesBeforeStart: [(ByteBuffer, CheckedContinuation<Void, any Error>)] = []
    private var endRequestsAfterStart = false
    /// Unary calls give back receive window at once; streaming calls hold it back while more than
    /// `bufferLimit` bytes of messages wait for the caller to take them.
    private let consumesOnReceipt: Bool
    private let bufferLimit: Int
    private var bufferedBytes = 0
    private var heldWindowBytes = 0

    /// How the call ended, once it has: later writes fail with this rather than a generic error.
    private var finalError: RPCError?

    /// When the caller stops waiting: set when the call is made, so it covers waiting for a
    /// connection and for a free stream, not only the exchange.
    let deadline: NIODeadline?

    init(
        eventLoop: any EventLoop, maxMessageSize: Int, consumesOnReceipt: Bool, deadline: NIODeadline?,
        deadlines: DeadlineQueue, onMessage: @escaping (ByteBuffer) -> Void,
        onFinish: @escaping (Outcome, Metadata) -> Void
    ) {
        self.eventLoop = eventLoop
        self.consumesOnReceipt = consumesOnReceipt
        self.bufferLimit = max(maxMessageSize, 1 << 20)
        self.deframer = MessageDeframer(maxMessageSize: maxMessageSize)
        self.onMessage = onMessage
        self.onFinish = onFinish
        self.deadline = deadline
        self.deadlines = deadlines
        if let deadline { deadlines.add(self, deadline: deadline) }
    }

    /// The deadline came (from the connection's `DeadlineQueue`).
    func deadlinePassed() {
        self.perform(self.machine.deadlinePassed())
    }

    var isFinished: Bool { self.machine.isFinished }

    /// Opens the stream; with `request`, sends it as the only message and ends the request side.
    /// `staticHeaders` are the connection's fixed request fields (method, scheme, authority,
    /// content-type, te, user-agent), built once per connection.
    func start(
        on connection: Connection, staticHeaders: [Header], method: MethodDescriptor, metadata: Metadata,
        request: ByteBuffer?
    ) {
        // A call whose deadline passed (or that was cancelled) while it waited never opens a stream.
        guard !self.isFinished else { return }
        var headers: [Header] = []
        headers.reserveCapacity(staticHeaders.count + 2 + metadata.count)
        headers.append(method.pathHeader)
        headers.append(contentsOf: staticHeaders)
        if let deadline = self.deadline {
            // The budget left, not the one given: time spent waiting for a connection counts.
            let remaining = deadline - self.eventLoop.now
            headers.append(Header("grpc-timeout", Timeout.encode(nanoseconds: max(1, remaining.nanoseconds))))
        }
        for (key, value) in metadata.entries {
            headers.append(Header(key, Metadata.wireValue(value), neverIndex: key == "authorization"))
        }
        let stream: Stream
        do {
            stream = try connection.openStream(headers: headers, endStream: false, handler: self)
        } catch {
            self.perform(
                self.machine.openFailed(RPCError(code: .unavailable, message: "the connection is not accepting calls")))
            return
        }
        guard self.machine.streamOpened() else {
            stream.reset(.cancel)
            return
        }
        self.stream = stream
        if let request { stream.write(request, endStream: true) }
        for (message, continuation) in self.writesBeforeStart { self.write(message, continuation) }
        self.writesBeforeStart = []
        if self.endRequestsAfterStart { self.endRequests() }
    }

    /// Fails a call that never got a connection.
    func failBeforeStart(_ error: RPCError) {
        self.perform(self.machine.openFailed(error))
    }

    /// Cancels the call (the caller gave up).
    func cancel() {
        self.perform(self.machine.cancel())
    }

    // MARK: Request streaming

    /// Writes a framed message; waits (through the continuation) while the stream is full.
    func write(_ message: ByteBuffer, _ continuation: CheckedContinuation<Void, any Error>) {
        guard !self.isFinished else {
            continuation.resume(throwing: self.finalError ?? RPCError(code: .cancelled, message: "the call is over"))
            return
        }
        guard let stream = self.stream else {
            self.writesBeforeStart.append((message, continuation))
            return
        }
        if stream.isWritable, self.pendingWrite == nil {
            stream.write(message)
            continuation.resume()
        } else {
            self.pendingWrite = (message, continuation)
        }
    }

    /// Ends the request side.
    func endRequests() {
        guard let stream = self.stream else {
            self.endRequestsAfterStart = true
            return
        }
        stream.write(ByteBuffer(), endStream: true)
    }

    /// The caller took a response message of `bytes` (prefix included).
    func consumed(_ bytes: Int) {
        self.bufferedBytes -= bytes
        if self.bufferedBytes <= self.bufferLimit, self.heldWindowBytes > 0 {
            self.stream?.consume(self.heldWindowBytes)
            self.heldWindowBytes = 0
        }
    }

    // MARK: StreamHandler

    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        self.perform(
            self.machine.receivedHeaders(headers, endStream: endStream, deframerIsEmpty: self.deframer.isEmpty))
    }

    func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
        guard self.machine.acceptsMessages else { return }
        do {
            try self.deframer.feed(data) { message throws(RPCError) in
                if !self.consumesOnReceipt { self.bufferedBytes += message.readableBytes + 5 }
                self.onMessage(message)
            }
            if self.consumesOnReceipt || self.bufferedBytes <= self.bufferLimit {
                stream.consume(data.readableBytes)
            } else {
                self.heldWindowBytes += data.readableBytes
            }
        } catch {
            self.perform(self.machine.receivedInvalidMessage(error))
        }
    }

    func streamReceivedEnd(_ stream: Stream) {
        self.perform(self.machine.receivedEndWithoutStatus())
    }

    func streamClosed(_ stream: Stream, reason: CloseReason) {
        self.perform(self.machine.streamClosed(reason))
        self.stream = nil
    }

    func streamWritabilityChanged(_ stream: Stream, isWritable: Bool) {
        guard isWritable, let (message, continuation) = self.pendingWrite else { return }
        self.pendingWrite = nil
        stream.write(message)
        continuation.resume()
    }

    // MARK: Actions

    private func perform(_ action: ClientCallStateMachine.Action) {
        guard case .finish(let outcome, let initialMetadata, let resetStream) = action,
            let onFinish = self.onFinish
        else { return }
        self.onFinish = nil
        if resetStream { self.stream?.reset(.cancel) }
        self.deadlines.remove(self)
        if case .failure(let failure) = outcome { self.finalError = failure.error }
        // The server is done; if our side is still open (an early status), end it so the stream
        // and the connection can close.
        self.stream?.finishOutbound()
        let over = self.finalError ?? RPCError(code: .cancelled, message: "the call is over")
        if let (_, continuation) = self.pendingWrite {
            self.pendingWrite = nil
            continuation.resume(throwing: over)
        }
        for (_, continuation) in self.writesBeforeStart { continuation.resume(throwing: over) }
        self.writesBeforeStart = []
        onFinish(outcome, initialMetadata)
    }
}
