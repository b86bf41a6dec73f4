import Testing

@testable import HTTP2
@testable import RPC

/// The client call lifecycle as data: each event's transition and the one outcome it reports.
@Suite struct ClientCallStateMachineTests {
    private static let okHead = [Header(":status", "200"), Header("content-type", "application/grpc")].received

    private static func trailers(_ status: Int, message: String? = nil) -> [Header] {
        var headers = [Header("grpc-status", "\(status)")]
        if let message { headers.append(Header("grpc-message", message)) }
        return headers.received
    }

    private static func failure(of action: ClientCallStateMachine.Action) -> (CallFailure, Bool)? {
        guard case .finish(.failure(let failure), _, let reset) = action else { return nil }
        return (failure, reset)
    }

    @Test func headTrailersOK() throws {
        var machine = ClientCallStateMachine()
        #expect(machine.streamOpened() == true)
        var head = Self.okHead
        head.append(Header(token: .other, name: "x-initial", value: "1"))
        guard case .none = machine.receivedHeaders(head, endStream: false, deframerIsEmpty: true) else {
            Issue.record("a head does not finish the call")
            return
        }
        #expect(machine.acceptsMessages)
        let action = machine.receivedHeaders(Self.trailers(0), endStream: true, deframerIsEmpty: true)
        guard case .finish(.success, let initial, let reset) = action else {
            Issue.record("expected success, got \(action)")
            return
        }
        #expect(initial["x-initial"] == "1")
        #expect(!reset)
        #expect(machine.isFinished)
        guard case .none = machine.cancel() else {
            Issue.record("a finished call reports nothing more")
            return
        }
    }

    @Test func serverStatusIsServerOrigin() throws {
        var machine = ClientCallStateMachine()
        _ = machine.streamOpened()
        let action = machine.receivedHeaders(
            Self.okHead + Self.trailers(14, message: "down"), endStream: true, deframerIsEmpty: true)
        let (failure, reset) = try #require(Self.failure(of: action))
        #expect(failure.code == .unavailable)
        #expect(failure.error.message == "down")
        #expect(failure.origin == .server)
        #expect(failure.mayHaveBeenProcessed)
        #expect(!reset)
    }

    @Test func refusedStreamWasNotProcessed() throws {
        var machine = ClientCallStateMachine()
        _ = machine.streamOpened()
        let (failure, _) = try #require(Self.failure(of: machine.streamClosed(.reset(.refusedStream))))
        #expect(failure.processing == .refused)
        #expect(failure.origin == .local)
        #expect(failure.code == .unavailable)
    }

    @Test func lostConnectionMayHaveBeenProcessed() throws {
        var machine = ClientCallStateMachine()
        _ = machine.streamOpened()
        let (failure, _) = try #require(Self.failure(of: machine.streamClosed(.connectionLost)))
        #expect(failure.processing == .mayHaveBeenProcessed)
        #expect(failure.code == .unavailable)
    }

    @Test func deadlineWhileWaitingSendsNothing() throws {
        var machine = ClientCallStateMachine()
        let (failure, reset) = try #require(Self.failure(of: machine.deadlinePassed()))
        #expect(failure.code == .deadlineExceeded)
        #expect(failure.processing == .notSent)
        #expect(!reset)
        #expect(machine.streamOpened() == false)
    }

    @Test func deadlineWhileOpenResets() throws {
        var machine = ClientCallStateMachine()
        _ = machine.streamOpened()
        _ = machine.receivedHeaders(Self.okHead, endStream: false, deframerIsEmpty: true)
        let (failure, reset) = try #require(Self.failure(of: machine.deadlinePassed()))
        #expect(failure.code == .deadlineExceeded)
        #expect(failure.mayHaveBeenProcessed)
        #expect(reset)
    }

    @Test func openFailureIsNotSent() throws {
        var machine = ClientCallStateMachine()
        let error = RPCError(code: .unavailable, message: "no stream")
        let (failure, _) = try #require(Self.failure(of: machine.openFailed(error)))
        #expect(failure.processing == .notSent)
    }

    @Test func badHTTPStatusResets() throws {
        var machine = ClientCallStateMachine()
        _ = machine.streamOpened()
        let head = [Header(":status", "503")].received
        let (failure, reset) = try #require(
            Self.failure(of: machine.receivedHeaders(head, endStream: false, deframerIsEmpty: true)))
        #expect(failure.code == .unavailable)
        #expect(failure.origin == .local)
        #expect(reset)
    }

    @Test func truncatedMessageIsInternal() throws {
        var machine = ClientCallStateMachine()
        _ = machine.streamOpened()
        _ = machine.receivedHeaders(Self.okHead, endStream: false, deframerIsEmpty: true)
        let (failure, _) = try #require(
            Self.failure(of: machine.receivedHeaders(Self.trailers(0), endStream: true, deframerIsEmpty: false)))
        #expect(failure.code == .internal)
    }

    @Test func endWithoutStatus() throws {
        var machine = ClientCallStateMachine()
        _ = machine.streamOpened()
        _ = machine.receivedHeaders(Self.okHead, endStream: false, deframerIsEmpty: true)
        let (failure, _) = try #require(Self.failure(of: machine.receivedEndWithoutStatus()))
        #expect(failure.code == .internal)
        #expect(machine.isFinished)
    }
}

extension Array where Element == Header {
    /// As the HTTP/2 layer delivers them: each name recognised into its token.
    var received: [Header] {
        self.map { header in
            let token = HeaderToken.known.first { $0.name == header.name }?.token ?? .other
            return Header(token: token, name: header.name, value: header.value)
        }
    }
}
