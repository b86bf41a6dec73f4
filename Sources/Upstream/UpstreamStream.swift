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
/// Use it only on its pool's loop. It is never retried: its request bytes stream through and are
/// not kept. While it waits for a stream it holds what was written (the writer sees it unwritable
/// and keeps its own peer's window closed, so that is bounded by one window).
package final class UpstreamStream: PassThroughCallDelegate {
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
    var waitingWrites: [(ByteBuffer, endStream: Bool)] = []
    var deadlineTimer: Scheduled<Void>?

    init(
        path: String, method: MethodDescriptor, headers: [Header], deadline: NIODeadline, started: NIODeadline,
        delegate: any UpstreamStreamDelegate
    ) {
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

    /// Sends request DATA (framed messages as received); `endStream` ends the request side.
    package func write(_ data: ByteBuffer, endStream: Bool) {
        switch self.phase {
        case .pending: self.waitingWrites.append((data, endStream))
        case .attempting(let call, _): call.write(data, endStream: endStream)
        case .finished: return
        }
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
                        attempts: 0)))
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
        self.delegate?.upstreamStream(self, receivedHead: headers)
    }

    package func passThroughCall(_ call: PassThroughCall, receivedData data: ByteBuffer) {
        guard let delegate = self.delegate else {
            call.consume(data.readableBytes)
            return
        }
        delegate.upstreamStream(self, receivedData: data)
    }

    package func passThroughCall(_ call: PassThroughCall, finished end: PassThroughCall.End) {
        guard case .attempting = self.phase else { return }
        switch end {
        case .status(let code, let trailers, let trailersOnly):
            self.pool?.finish(self, .status(code, trailers: trailers, trailersOnly: trailersOnly))
        case .failed(let failure):
            self.pool?.finish(self, .failed(UpstreamFailure(reason: .callFailed, failure: failure, attempts: 1)))
        }
    }

    package func passThroughCall(_ call: PassThroughCall, writabilityChanged isWritable: Bool) {
        self.delegate?.upstreamStream(self, writabilityChanged: isWritable)
    }
}
