import HTTP2
import Testing

@testable import RPC
@testable import Upstream

/// Which failures count against a backend (`UpstreamFailure.isServerFault`: breakers and outlier
/// ejection): the server's own trouble (UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS,
/// DEADLINE_EXCEEDED), a lost connection or a reset stream after sending; never a status about
/// the request (INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED...), a cancellation, or a request
/// the server never processed.
@Suite struct ServerFaultTests {
    /// Every status a server can send, and whether it counts.
    static let serverStatuses: [(RPCError.Code, Bool)] = [
        (.cancelled, false),
        (.unknown, true),
        (.invalidArgument, false),
        (.deadlineExceeded, true),
        (.notFound, false),
        (.alreadyExists, false),
        (.permissionDenied, false),
        // A quota or rate limit answered for this caller: not the backend failing everyone.
        (.resourceExhausted, false),
        (.failedPrecondition, false),
        (.aborted, false),
        (.outOfRange, false),
        (.unimplemented, false),
        (.internal, true),
        (.unavailable, true),
        (.dataLoss, true),
        (.unauthenticated, false),
    ]

    @Test func everyServerStatusIsClassified() {
        #expect(Self.serverStatuses.map(\.0.rawValue) == Array(1...16), "the table covers every code")
        for (code, counts) in Self.serverStatuses {
            let failure = CallFailure(
                RPCError(code: code, message: "from the server"), origin: .server, processing: .mayHaveBeenProcessed)
            #expect(UpstreamFailure.isServerFault(failure) == counts, "\(code) from the server")
        }
    }

    /// Transport events after the request went out, as the client call reports them.
    static let transportEvents: [(CloseReason, Bool)] = [
        (.connectionLost, true),
        (.reset(.internalError), true),
        (.reset(.protocolError), true),
        (.normal, true),  // closed without a status: INTERNAL
        // The server refused the stream: it never processed the request, so it says nothing.
        (.reset(.refusedStream), false),
        // A cancel reset or "slow down": CANCELLED and RESOURCE_EXHAUSTED, not a broken backend.
        (.reset(.cancel), false),
        (.reset(.enhanceYourCalm), false),
    ]

    @Test(arguments: Self.transportEvents)
    func aStreamClosedAfterSendingCounts(reason: CloseReason, counts: Bool) throws {
        var call = ClientCallStateMachine()
        let opened = call.streamOpened()
        #expect(opened)
        guard case .finish(.failure(let failure), _, _) = call.streamClosed(reason) else {
            Issue.record("a stream closed before its status fails the call")
            return
        }
        #expect(UpstreamFailure.isServerFault(failure) == counts, "\(reason) -> \(failure)")
    }

    @Test func localDeadlineAndCancellationAfterSending() {
        var timedOut = ClientCallStateMachine()
        _ = timedOut.streamOpened()
        guard case .finish(.failure(let deadline), _, _) = timedOut.deadlinePassed() else {
            Issue.record("the deadline fails the call")
            return
        }
        #expect(UpstreamFailure.isServerFault(deadline), "a backend too slow for the deadline is at fault")

        var cancelled = ClientCallStateMachine()
        _ = cancelled.streamOpened()
        guard case .finish(.failure(let cancellation), _, _) = cancelled.cancel() else {
            Issue.record("cancelling fails the call")
            return
        }
        #expect(!UpstreamFailure.isServerFault(cancellation), "the caller giving up says nothing of the backend")
    }

    @Test func aRequestThatNeverReachedTheServerNeverCounts() {
        for (code, _) in Self.serverStatuses {
            for processing in [CallFailure.Processing.notSent, .refused] {
                let failure = CallFailure(
                    RPCError(code: code, message: "local"), origin: .local, processing: processing)
                #expect(!UpstreamFailure.isServerFault(failure), "\(code), \(processing)")
            }
        }
        var waiting = ClientCallStateMachine()
        guard case .finish(.failure(let unsent), _, _) = waiting.deadlinePassed() else {
            Issue.record("the deadline fails a call still waiting for a stream")
            return
        }
        #expect(!UpstreamFailure.isServerFault(unsent), "a deadline before sending")
    }
}
