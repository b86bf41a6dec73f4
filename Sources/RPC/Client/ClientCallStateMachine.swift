import HTTP2

/// The lifecycle of one client call: waiting for a stream, open, receiving, finished. Each
/// event is a transition that says what the call must do; the call reports exactly one outcome.
struct ClientCallStateMachine {
    /// The call's end: trailing metadata on OK, or how it failed.
    typealias Outcome = Result<Metadata, CallFailure>

    enum State {
        /// Made; waiting for a connection or a free stream. Nothing has been sent.
        case waiting
        /// The stream is open and the request head is on its way; no response head yet.
        case open
        /// The response head arrived; messages may follow, then trailers.
        case receiving(initialMetadata: Metadata)
        /// The one outcome has been reported.
        case finished
    }

    enum Action {
        case none
        /// Report the outcome; with `resetStream`, reset the stream first (the server is still at it).
        case finish(Outcome, initialMetadata: Metadata, resetStream: Bool)
    }

    private(set) var state = State.waiting

    var isFinished: Bool {
        if case .finished = self.state { return true }
        return false
    }

    /// Messages are accepted only after a valid response head.
    var acceptsMessages: Bool {
        if case .receiving = self.state { return true }
        return false
    }

    /// The stream opened. False if the call already ended (the caller must not use the stream).
    mutating func streamOpened() -> Bool {
        guard case .waiting = self.state else { return false }
        self.state = .open
        return true
    }

    /// No stream could be opened: the request never left.
    mutating func openFailed(_ error: RPCError) -> Action {
        self.end(.failure(CallFailure(error, origin: .local, processing: .notSent)), reset: false)
    }

    /// A header block arrived: the response head, or the trailers (or both, trailers-only).
    mutating func receivedHeaders(_ headers: [Header], endStream: Bool, deframerIsEmpty: Bool) -> Action {
        switch self.state {
        case .waiting, .finished:
            return .none
        case .open:
            if let error = Self.validateHead(headers) {
                return self.end(
                    .failure(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed)), reset: true)
            }
            guard endStream else {
                self.state = .receiving(initialMetadata: Self.metadata(from: headers))
                return .none
            }
            return self.end(Self.status(from: headers, deframerIsEmpty: true), reset: false)
        case .receiving:
            return self.end(Self.status(from: headers, deframerIsEmpty: deframerIsEmpty), reset: false)
        }
    }

    /// END_STREAM on DATA: the status never came.
    mutating func receivedEndWithoutStatus() -> Action {
        let error = RPCError(code: .internal, message: "the response ended without a status")
        return self.end(.failure(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed)), reset: false)
    }

    /// The response broke the framing rules (size limit, bad flag).
    mutating func receivedInvalidMessage(_ error: RPCError) -> Action {
        self.end(.failure(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed)), reset: true)
    }

    /// The stream closed before the trailers.
    mutating func streamClosed(_ reason: CloseReason) -> Action {
        let refused = reason == .reset(.refusedStream)
        return self.end(
            .failure(
                CallFailure(
                    StatusMapping.error(for: reason), origin: .local,
                    processing: refused ? .refused : .mayHaveBeenProcessed)), reset: false)
    }

    /// The deadline passed.
    mutating func deadlinePassed() -> Action {
        self.abandon(RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
    }

    /// The caller gave up.
    mutating func cancel() -> Action {
        self.abandon(RPCError(code: .cancelled, message: "the call was cancelled"))
    }

    /// Ends the call from this side: a call still waiting never sent anything; an open one is reset.
    private mutating func abandon(_ error: RPCError) -> Action {
        switch self.state {
        case .waiting:
            return self.end(.failure(CallFailure(error, origin: .local, processing: .notSent)), reset: false)
        case .open, .receiving:
            return self.end(
                .failure(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed)), reset: true)
        case .finished:
            return .none
        }
    }

    private mutating func end(_ outcome: Outcome, reset: Bool) -> Action {
        let initialMetadata: Metadata
        switch self.state {
        case .finished: return .none
        case .receiving(let metadata): initialMetadata = metadata
        case .waiting, .open: initialMetadata = Metadata()
        }
        self.state = .finished
        return .finish(outcome, initialMetadata: initialMetadata, resetStream: reset)
    }

    // MARK: Reading the response

    /// The status in trailers (or a trailers-only response).
    static func status(from trailers: [Header], deframerIsEmpty: Bool) -> Outcome {
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
            case .grpcStatusDetails:
                // The rich status (`google.rpc.Status`, e.g. field violations): the caller's to read.
                metadata.addReceived(name: header.name, value: header.value)
            case let token where token.isProtocol:
                break
            default:
                metadata.addReceived(name: header.name, value: header.value)
            }
        }
        guard sawStatus else {
            let error = RPCError(code: .internal, message: "the response has no grpc-status")
            return .failure(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed))
        }
        guard code == .ok else {
            let error = RPCError(code: code, message: message, metadata: metadata)
            return .failure(CallFailure(error, origin: .server, processing: .mayHaveBeenProcessed))
        }
        guard deframerIsEmpty else {
            let error = RPCError(code: .internal, message: "truncated response message")
            return .failure(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed))
        }
        return .success(metadata)
    }

    static func validateHead(_ headers: [Header]) -> RPCError? {
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

    static func metadata(from headers: [Header]) -> Metadata {
        var metadata = Metadata()
        for header in headers where !header.token.isProtocol {
            metadata.addReceived(name: header.name, value: header.value)
        }
        return metadata
    }
}
