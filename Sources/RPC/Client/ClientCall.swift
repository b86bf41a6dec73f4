import HTTP2
import NIOCore

/// One gRPC call on the client, on its connection's event loop: sends the head and messages,
/// deframes responses, enforces the deadline, and reports exactly one outcome.
final class ClientCall: StreamHandler {
    /// The call's end: trailing metadata on OK, or the error.
    typealias Outcome = Result<Metadata, RPCError>

    private let eventLoop: any EventLoop
    private let onMessage: (ByteBuffer) -> Void
    private var onFinish: ((Outcome, _ initialMetadata: Metadata) -> Void)?
    private var deframer: MessageDeframer
    private var stream: Stream?
    private var initialMetadata = Metadata()
    private var receivedHead = false
    private var deadlineTimer: Scheduled<Void>?
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

    /// Set when the server never saw the call (REFUSED_STREAM, or unprocessed after GOAWAY).
    private(set) var wasRefused = false

    /// When the caller stops waiting: set when the call is made, so it covers waiting for a
    /// connection and for a free stream, not only the exchange.
    private let deadline: NIODeadline?

    init(
        eventLoop: any EventLoop, maxMessageSize: Int, consumesOnReceipt: Bool, deadline: NIODeadline?,
        onMessage: @escaping (ByteBuffer) -> Void, onFinish: @escaping (Outcome, Metadata) -> Void
    ) {
        self.eventLoop = eventLoop
        self.consumesOnReceipt = consumesOnReceipt
        self.bufferLimit = max(maxMessageSize, 1 << 20)
        self.deframer = MessageDeframer(maxMessageSize: maxMessageSize)
        self.onMessage = onMessage
        self.onFinish = onFinish
        self.deadline = deadline
        if let deadline = self.deadline {
            self.deadlineTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.deadlineTimer = nil
                self.fail(RPCError(code: .deadlineExceeded, message: "deadline exceeded"), reset: true)
            }
        }
    }

    var isFinished: Bool { self.onFinish == nil }

    /// Opens the stream; with `request`, sends it as the only message and ends the request side.
    func start(
        on connection: Connection, authority: String, method: MethodDescriptor, options: CallOptions,
        request: ByteBuffer?
    ) {
        // A call whose deadline passed (or that was cancelled) while it waited never opens a stream.
        guard !self.isFinished else { return }
        var headers = [
            Header(":method", "POST"), Header(":scheme", "http"), Header(":path", method.path),
            Header(":authority", authority), Header("content-type", "application/grpc"), Header("te", "trailers"),
            Header("user-agent", "halo-rpc"),
        ]
        if let deadline = self.deadline {
            // The budget left, not the one given: time spent waiting for a connection counts.
            let remaining = deadline - self.eventLoop.now
            headers.append(Header("grpc-timeout", Timeout.encode(.nanoseconds(max(1, remaining.nanoseconds)))))
        }
        for (key, value) in options.metadata.entries {
            headers.append(Header(key, Metadata.wireValue(value), neverIndex: key == "authorization"))
        }
        do {
            let stream = try connection.openStream(headers: headers, endStream: false, handler: self)
            self.stream = stream
            if let request { stream.write(request, endStream: true) }
            for (message, continuation) in self.writesBeforeStart { self.write(message, continuation) }
            self.writesBeforeStart = []
            if self.endRequestsAfterStart { self.endRequests() }
        } catch {
            self.wasRefused = true
            self.fail(RPCError(code: .unavailable, message: "the connection is not accepting calls"), reset: false)
        }
    }

    /// Fails a call that never got a connection.
    func failBeforeStart(_ error: RPCError) {
        self.fail(error, reset: false)
    }

    /// Cancels the call (the caller gave up).
    func cancel() {
        self.fail(RPCError(code: .cancelled, message: "the call was cancelled"), reset: true)
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
        if !self.receivedHead {
            self.receivedHead = true
            if let error = Self.validateHead(headers) {
                self.fail(error, reset: true)
                return
            }
            if !endStream {
                self.initialMetadata = Self.metadata(from: headers)
                return
            }
        }
        // Trailers, or a trailers-only response.
        self.finish(with: headers)
    }

    func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
        guard !self.isFinished else { return }
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
            self.fail(error, reset: true)
        }
    }

    func streamReceivedEnd(_ stream: Stream) {
        // END_STREAM on DATA: the status never came.
        self.fail(RPCError(code: .internal, message: "the response ended without a status"), reset: false)
    }

    func streamClosed(_ stream: Stream, reason: CloseReason) {
        if case .reset(let code) = reason, code == .refusedStream { self.wasRefused = true }
        self.fail(StatusMapping.error(for: reason), reset: false)
        self.stream = nil
    }

    func streamWritabilityChanged(_ stream: Stream, isWritable: Bool) {
        guard isWritable, let (message, continuation) = self.pendingWrite else { return }
        self.pendingWrite = nil
        stream.write(message)
        continuation.resume()
    }

    // MARK: Outcome

    private func finish(with trailers: [Header]) {
        var code = RPCError.Code.unknown
        var message = ""
        var metadata = Metadata()
        var sawStatus = false
        for header in trailers {
            switch header.token {
            case .grpcStatus:
                sawStatus = true
                code = Int(header.value).map { RPCError.Code(rawValue: $0) } ?? .unknown
            case .grpcMessage:
                message = PercentEncoding.decode(header.value)
            case let token where token.isProtocol:
                break
            default:
                metadata.addReceived(name: header.name, value: header.value)
            }
        }
        if !sawStatus {
            self.complete(.failure(RPCError(code: .internal, message: "the response has no grpc-status")))
        } else if code == .ok {
            guard self.deframer.isEmpty else {
                self.complete(.failure(RPCError(code: .internal, message: "truncated response message")))
                return
            }
            self.complete(.success(metadata))
        } else {
            self.complete(.failure(RPCError(code: code, message: message, metadata: metadata)))
        }
    }

    private func fail(_ error: RPCError, reset: Bool) {
        guard !self.isFinished else { return }
        if reset { self.stream?.reset(.cancel) }
        self.complete(.failure(error))
    }

    private func complete(_ outcome: Outcome) {
        guard let onFinish = self.onFinish else { return }
        self.onFinish = nil
        self.deadlineTimer?.cancel()
        self.deadlineTimer = nil
        if case .failure(let error) = outcome { self.finalError = error }
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
        onFinish(outcome, self.initialMetadata)
    }

    private static func validateHead(_ headers: [Header]) -> RPCError? {
        let status = headers.first(.status) ?? ""
        if status != "200" {
            return RPCError(
                code: StatusMapping.code(forHTTPStatus: status), message: "unexpected HTTP status \(status)")
        }
        if let contentType = headers.first(.contentType), !contentType.hasPrefix("application/grpc") {
            return RPCError(code: .unknown, message: "unexpected content-type \(contentType)")
        }
        return nil
    }

    private static func metadata(from headers: [Header]) -> Metadata {
        var metadata = Metadata()
        for header in headers where !header.token.isProtocol {
            metadata.addReceived(name: header.name, value: header.value)
        }
        return metadata
    }
}
