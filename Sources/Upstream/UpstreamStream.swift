package import HTTP2
package import NIOCore
package import RPC

/// What the owner of an `UpstreamStream` hears, on the pool's event loop.
package protocol UpstreamStreamDelegate: AnyObject {
    /// The backend's response head (a gRPC one: status 200, gRPC content type).
    func upstreamStream(_ stream: UpstreamStream, receivedHead headers: [Header])
    /// Response DATA, passed through as it came; call `consume` once it is passed on.
    func upstreamStream(_ stream: UpstreamStream, receivedData data: ByteBuffer)
    /// The call is over (the last event): the backend's status, or why there is none.
    func upstreamStream(_ stream: UpstreamStream, finished end: UpstreamStream.End)
    /// The request side can take more (true) or is full (false).
    func upstreamStream(_ stream: UpstreamStream, writabilityChanged isWritable: Bool)
}

/// One pass-through gRPC call through a cluster: admitted by the loop's limits and breaker,
/// waiting for a free stream like unary calls do, bounded by its deadline, and counted in the
/// breaker, outlier detection and metrics when it ends. Any of the four call kinds: the request
/// and response are streams of bytes (framed messages) that flow as the two sides allow.
///
/// Use it only on its pool's loop. While it waits for a stream it holds what was written (the
/// writer sees it unwritable and keeps its own peer's window closed, so that is bounded by one
/// window).
///
/// It is sent again, on another endpoint and within its deadline, only when the backend surely
/// never processed it (refused stream, past GOAWAY's last stream id, no stream to be had), its
/// whole request has been written and kept (at most the retry policy's `maxReplayBytes`: unary
/// and server-streaming calls), and no response byte has reached its owner. Its request bytes are
/// kept for that until the first response byte, or until they outgrow the limit.
package final class UpstreamStream: PassThroughCallDelegate, DeadlineWatched {
    /// How the call ended.
    package enum End {
        /// The backend's status and trailers (the whole response when `trailersOnly`).
        case status(RPCError.Code, trailers: [Header], trailersOnly: Bool)
        /// No status from the backend: refused here (limits, breaker, no endpoint), or the call
        /// failed (deadline, reset, connection lost, cancelled).
        case failed(UpstreamFailure)
    }

    enum Phase {
        case pending
        case attempting(PassThroughCall, EndpointSlot)
        case finished
    }

    let path: String
    let method: MethodDescriptor
    let headers: [Header]
    let deadline: NIODeadline
    let started: NIODeadline
    var admission = CircuitBreaker.Admission.allow
    /// The admission of the endpoint's own breaker, when the cluster has one per endpoint.
    var endpointAdmission: CircuitBreaker.Admission?
    var phase = Phase.pending
    /// Held (a reload may replace the loop's pools while the call is in flight); the pool holds
    /// the call only while it is pending.
    var pool: LoopPool?
    private var delegate: (any UpstreamStreamDelegate)?
    /// Writes made while waiting for a stream, sent when it opens.
    var waitingWrites = RequestWrites()
    /// Every write since the call began, while it may still be sent again (`isReplayable`).
    var replay = RequestWrites()
    private var replayBytes = 0
    private let maxReplayBytes: Int
    /// False once the request outgrew `maxReplayBytes` or a response byte arrived.
    private var keepsReplay = true
    private var requestEnded = false
    /// Attempts started (an attempt whose connection took no stream counts).
    var attempts = 0
    /// The endpoint of the last failed attempt, which a retry avoids, and how it failed.
    var lastEndpoint: EndpointSlot?
    var lastFailure: CallFailure?
    /// Its place in the pool's deadline queue (`DeadlineWatched`).
    package var deadlineSlot = -1

    init(
        path: String, method: MethodDescriptor, headers: [Header], deadline: NIODeadline, started: NIODeadline,
        maxReplayBytes: Int, delegate: any UpstreamStreamDelegate
    ) {
        self.maxReplayBytes = maxReplayBytes
        self.path = path
        self.method = method
        self.headers = headers
        self.deadline = deadline
        self.started = started
        self.delegate = delegate
    }

    package var isFinished: Bool {
        if case .finished = self.phase { return true }
        return false
    }

    /// False while waiting for a stream, and while the backend stream's queue is full.
    package var isWritable: Bool {
        if case .attempting(let call, _) = self.phase { return call.isWritable }
        return false
    }

    /// Whether the call may be sent again: its whole request is kept and nothing came back.
    var isReplayable: Bool { self.keepsReplay && self.requestEnded }

    /// Sends request DATA (framed messages as received); `endStream` ends the request side.
    package func write(_ data: ByteBuffer, endStream: Bool) {
        if case .finished = self.phase { return }
        if endStream { self.requestEnded = true }
        if self.keepsReplay {
            self.replayBytes += data.readableBytes
            if self.replayBytes <= self.maxReplayBytes {
                self.replay.append(data, endStream: endStream)
            } else {
                self.dropReplay()
            }
        }
        switch self.phase {
        case .pending: self.waitingWrites.append(data, endStream: endStream)
        case .attempting(let call, _): call.write(data, endStream: endStream)
        case .finished: return
        }
    }

    /// The request will not be sent again: its bytes are let go.
    func dropReplay() {
        self.keepsReplay = false
        self.replay = RequestWrites()
    }

    /// The deadline came (from the pool's `DeadlineQueue`): the call ends DEADLINE_EXCEEDED.
    package func deadlinePassed() {
        self.end(RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
    }

    /// Reopens `bytes` of the backend's window: that much response DATA has been passed on.
    package func consume(_ bytes: Int) {
        if case .attempting(let call, _) = self.phase { call.consume(bytes) }
    }

    /// The caller went away: the backend stream is reset (CANCELLED), nothing more is reported.
    package func cancel() {
        self.delegate = nil
        self.end(RPCError(code: .cancelled, message: "the caller cancelled the call"))
    }

    /// Ends the call from this side with `error`, resetting the backend stream if one is open.
    func end(_ error: RPCError) {
        switch self.phase {
        case .pending:
            self.pool?.finish(
                self,
                .failed(
                    UpstreamFailure(
                        reason: .callFailed, failure: CallFailure(error, origin: .local, processing: .notSent),
                        attempts: self.attempts)))
        case .attempting(let call, _):
            // The call reports its end through `passThroughCall(_:finished:)`.
            call.cancel(error)
        case .finished:
            return
        }
    }

    /// Tells the owner once; nothing after.
    func report(_ end: End) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamStream(self, finished: end)
    }

    // MARK: PassThroughCallDelegate

    package func passThroughCall(_ call: PassThroughCall, receivedHead headers: [Header]) {
        // The response has begun: from here the call is never sent again.
        self.dropReplay()
        self.delegate?.upstreamStream(self, receivedHead: headers)
    }

    package func passThroughCall(_ call: PassThroughCall, receivedData data: ByteBuffer) {
        self.dropReplay()
        guard let delegate = self.delegate else {
            call.consume(data.readableBytes)
            return
        }
        delegate.upstreamStream(self, receivedData: data)
    }

    package func passThroughCall(_ call: PassThroughCall, finished end: PassThroughCall.End) {
        guard case .attempting(let current, let endpoint) = self.phase, current === call else { return }
        switch end {
        case .status(let code, let trailers, let trailersOnly):
            self.pool?.finish(self, .status(code, trailers: trailers, trailersOnly: trailersOnly))
        case .failed(let failure):
            self.pool?.attemptFailed(self, failure, on: endpoint)
        }
    }

    package func passThroughCall(_ call: PassThroughCall, writabilityChanged isWritable: Bool) {
        self.delegate?.upstreamStream(self, writabilityChanged: isWritable)
    }
}
