package import HTTP2
package import NIOCore

/// What a `PassThroughCall` tells its owner, on the call's event loop.
package protocol PassThroughCallDelegate: AnyObject {
    /// The response head arrived (HTTP status 200 and a gRPC content type, already checked).
    func passThroughCall(_ call: PassThroughCall, receivedHead headers: [Header])
    /// Response DATA as it arrived: length-prefixed messages, possibly split anywhere. The receive
    /// window stays closed by these bytes until the owner calls `consume`.
    func passThroughCall(_ call: PassThroughCall, receivedData data: ByteBuffer)
    /// The call is over; the last event it gets.
    func passThroughCall(_ call: PassThroughCall, finished end: PassThroughCall.End)
    /// The request side crossed its high watermark (false) or drained below it (true).
    func passThroughCall(_ call: PassThroughCall, writabilityChanged isWritable: Bool)
}

/// One gRPC call whose messages are bytes the caller passes through, both ways, without
/// deframing them: what a proxy needs for all four call kinds.
///
/// Flow control is the caller's to drive, so nothing buffers without bound: request DATA goes to
/// the stream (watch `isWritable`), response DATA holds the receive window closed until the
/// caller has passed it on and calls `consume`. The call does not watch a deadline (its owner
/// does, and calls `cancel`); it sends the time left as `grpc-timeout`.
package final class PassThroughCall: StreamHandler {
    /// How a pass-through call ended.
    package enum End {
        /// The server sent a status: `trailers` as received (they are the whole response when
        /// `trailersOnly`).
        case status(RPCError.Code, trailers: [Header], trailersOnly: Bool)
        /// No status from the server: the stream was reset, the connection lost, the head was
        /// not gRPC, or this side cancelled.
        case failed(CallFailure)
    }

    private enum State {
        case idle
        /// The request head went out; no response head yet.
        case open
        case receiving
        case finished
    }

    package let eventLoop: any EventLoop
    /// Held until the call finishes (that breaks the cycle with an owner that holds the call).
    private var delegate: (any PassThroughCallDelegate)?
    private var state = State.idle
    private var stream: Stream?
    /// The connection owner counting this call in its `inFlight` until it finishes.
    var subchannel: Subchannel?

    package init(eventLoop: any EventLoop, delegate: any PassThroughCallDelegate) {
        self.eventLoop = eventLoop
        self.delegate = delegate
    }

    /// Opens the stream with `:path` and the caller's fields (`content-type`, `te`, metadata; no
    /// pseudo-headers). False if the connection took no stream: nothing was sent and no event
    /// will come.
    func start(
        on connection: Connection, path: String, authority: String, headers: [Header], deadline: NIODeadline?
    ) -> Bool {
        guard case .idle = self.state else { return false }
        var head: [Header] = []
        head.reserveCapacity(headers.count + 5)
        head.append(Header(":method", "POST"))
        head.append(Header(":scheme", "http"))
        head.append(Header(":path", path))
        head.append(Header(":authority", authority))
        head.append(contentsOf: headers)
        if let deadline {
            let remaining = deadline - self.eventLoop.now
            head.append(Header("grpc-timeout", Timeout.encode(.nanoseconds(max(1, remaining.nanoseconds)))))
        }
        guard let stream = try? connection.openStream(headers: head, endStream: false, handler: self) else {
            return false
        }
        self.stream = stream
        self.state = .open
        return true
    }

    /// False while queued request bytes are above the stream's high watermark.
    package var isWritable: Bool { self.stream?.isWritable ?? false }

    /// Queues request DATA (framed messages, passed through as they are); `endStream` ends the
    /// request side.
    package func write(_ data: ByteBuffer, endStream: Bool) {
        guard let stream = self.stream, !self.isFinished else { return }
        stream.write(data, endStream: endStream)
    }

    /// Reopens `bytes` of receive window: the caller has passed that much response DATA on.
    package func consume(_ bytes: Int) {
        self.stream?.consume(bytes)
    }

    /// Ends the call from this side with `error` (CANCELLED when the caller went away,
    /// DEADLINE_EXCEEDED when its budget ran out): the stream is reset and the owner told.
    package func cancel(_ error: RPCError) {
        guard !self.isFinished else { return }
        let stream = self.stream
        self.finish(.failed(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed)))
        stream?.reset(.cancel)
    }

    package var isFinished: Bool {
        if case .finished = self.state { return true }
        return false
    }

    // MARK: StreamHandler

    package func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        switch self.state {
        case .open:
            if let error = ClientCallStateMachine.validateHead(headers) {
                self.finish(.failed(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed)))
                stream.reset(.cancel)
                return
            }
            if endStream {
                self.finish(.status(Self.code(headers), trailers: headers, trailersOnly: true))
                stream.finishOutbound()
                return
            }
            self.state = .receiving
            self.delegate?.passThroughCall(self, receivedHead: headers)
        case .receiving:
            // Trailers end the response; the request side, if still open, has nothing left to say.
            self.finish(.status(Self.code(headers), trailers: headers, trailersOnly: false))
            stream.finishOutbound()
        case .idle, .finished:
            return
        }
    }

    package func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
        guard case .receiving = self.state else {
            stream.consume(data.readableBytes)
            return
        }
        self.delegate?.passThroughCall(self, receivedData: data)
    }

    package func streamReceivedEnd(_ stream: Stream) {
        guard !self.isFinished else { return }
        let error = RPCError(code: .internal, message: "the response ended without a status")
        self.finish(.failed(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed)))
        stream.finishOutbound()
    }

    package func streamClosed(_ stream: Stream, reason: CloseReason) {
        self.stream = nil
        guard !self.isFinished else { return }
        let refused = reason == .reset(.refusedStream)
        self.finish(
            .failed(
                CallFailure(
                    StatusMapping.error(for: reason), origin: .local,
                    processing: refused ? .refused : .mayHaveBeenProcessed)))
    }

    package func streamWritabilityChanged(_ stream: Stream, isWritable: Bool) {
        guard !self.isFinished else { return }
        self.delegate?.passThroughCall(self, writabilityChanged: isWritable)
    }

    private func finish(_ end: End) {
        self.state = .finished
        self.subchannel?.callFinished(background: false)
        self.subchannel = nil
        let delegate = self.delegate
        self.delegate = nil
        delegate?.passThroughCall(self, finished: end)
    }

    /// The `grpc-status` of a trailer block (UNKNOWN when missing or not a number).
    static func code(_ trailers: [Header]) -> RPCError.Code {
        guard let value = trailers.first(.grpcStatus), let number = Int(value) else { return .unknown }
        return RPCError.Code(rawValue: number)
    }
}
