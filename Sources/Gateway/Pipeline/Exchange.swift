package import CallerIdentity

/// One request in flight and the one answer it gets: the edge creates it when the head arrives,
/// the pipeline answers it exactly once, on the connection's event loop.
///
/// If the client goes away first (connection closed, stream reset), the edge calls `cancel()`:
/// `onCancel` runs once, so the pipeline can cancel its upstream call, and a later `respond` is
/// dropped.
package final class Exchange {
    package var request: GatewayRequest
    /// Runs once if the client goes away before the answer.
    package var onCancel: (() -> Void)?
    /// What `admit` found, for `handle`: the matched binding (its index), the route's decoded
    /// path variables, and the caller.
    package var bindingIndex = -1
    package var variables: [String] = []
    package var identity = Identity.anonymous
    /// The token named a key not in the key set: `handle` refetches the JWKS once, then decides.
    package var tokenAwaitingKeys: Substring?
    /// Runs when a streamed answer can take more after the edge said it could not
    /// (`Exchange+Streaming.swift`).
    var onWritable: (() -> Void)?
    var sink: (any ExchangeSink)?

    init(request: GatewayRequest, sink: any ExchangeSink) {
        self.request = request
        self.sink = sink
    }

    /// True once answered or cancelled.
    package var isFinished: Bool { self.sink == nil }

    /// Sends the answer; later calls are ignored.
    package func respond(_ response: GatewayResponse) {
        guard let sink = self.sink else { return }
        self.sink = nil
        self.onCancel = nil
        sink.exchange(self, respondedWith: response)
    }

    /// The client went away: nothing will be written for this exchange.
    func cancel() {
        guard self.sink != nil else { return }
        self.sink = nil
        let onCancel = self.onCancel
        self.onCancel = nil
        onCancel?()
    }
}

/// Where an exchange's answer goes: the HTTP/1.1 connection or the HTTP/2 stream that read it.
protocol ExchangeSink: AnyObject {
    func exchange(_ exchange: Exchange, respondedWith response: GatewayResponse)
}

/// What the edge asks of the gateway for each request; every call comes on the connection's
/// event loop, and the pipeline answers on it too (no task, no lock, no hop).
package protocol RequestPipeline: AnyObject {
    /// The head arrived (the exchange's body is still empty): answer at once, without reading the
    /// body (an unknown route, a missing token, a declared length over the limit), or say how
    /// many body bytes to accept before answering 413.
    func admit(_ exchange: Exchange) -> Admission
    /// The body is complete (`exchange.request.body`): answer through `exchange.respond`.
    func handle(_ exchange: Exchange)
}

/// The pipeline's word on a request head.
package enum Admission {
    /// Read the body, up to `limit` bytes, then call `handle`.
    case readBody(limit: Int)
    /// Answer now; the body, if any, is not read.
    case respond(GatewayResponse)
}
