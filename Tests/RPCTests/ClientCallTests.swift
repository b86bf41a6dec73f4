import HTTP2
import NIOCore
import NIOEmbedded
import Testing

@testable import RPC

/// `ClientCall` over a real HTTP/2 exchange on EmbeddedChannels: what goes on the wire and the
/// one outcome it reports, for answers, refusals, GOAWAY, deadlines and cancellation.
@Suite struct ClientCallTests {
    private static let method = MethodDescriptor(service: "halo.testing.v1.TestService", method: "Unary")

    /// A started unary call and where its outcome lands.
    private final class Probe {
        var outcome: ClientCall.Outcome?
        var initialMetadata = Metadata()
        var messages: [String] = []
        var call: ClientCall!
    }

    private func startCall(
        _ pair: EmbeddedPair, deadline: NIODeadline? = nil, metadata: Metadata = Metadata(),
        deadlines: DeadlineQueue? = nil
    ) -> Probe {
        let probe = Probe()
        probe.call = ClientCall(
            eventLoop: pair.client.embeddedEventLoop, maxMessageSize: 1024, consumesOnReceipt: true,
            deadline: deadline,
            deadlines: deadlines ?? DeadlineQueue(eventLoop: pair.client.embeddedEventLoop),
            // Weak: the probe holds the call, and the call keeps its callbacks.
            onMessage: { [weak probe] in probe?.messages.append(String(buffer: $0)) },
            onFinish: { [weak probe] outcome, initial in
                probe?.outcome = outcome
                probe?.initialMetadata = initial
            })
        var request = RequestMessage(capacity: 16)
        request.buffer.writeString("hello")
        probe.call.start(
            on: pair.clientConnection,
            staticHeaders: ClientConnectionCore.staticHeaders(authority: "backend:50051"), method: Self.method,
            metadata: metadata, request: request.framed())
        return probe
    }

    @Test func unaryRoundTrip() throws {
        let pair = try EmbeddedPair()
        var metadata = Metadata()
        metadata.add("x-request-id", "abc")
        let probe = self.startCall(pair, deadline: pair.client.embeddedEventLoop.now + .seconds(2), metadata: metadata)
        try pair.exchange()
        let request = try #require(pair.serverDelegate.requests.first)
        #expect(request.headers.first(":path") == "/halo.testing.v1.TestService/Unary")
        #expect(request.headers.first(":authority") == "backend:50051")
        #expect(request.headers.first("x-request-id") == "abc")
        // The whole budget is left: no time passed on the embedded clock.
        #expect(request.headers.first("grpc-timeout") == "2000000u")
        #expect(request.ended)
        // The 5-byte prefix was written into the headroom: flag 0, length 5, then the bytes.
        #expect(Array(request.body.readableBytesView) == [0, 0, 0, 0, 5] + Array("hello".utf8))
        request.respond("world", initialMetadata: [Header("x-initial", "yes")])
        try pair.exchange()
        guard case .success = probe.outcome else {
            Issue.record("expected success, got \(String(describing: probe.outcome))")
            return
        }
        #expect(probe.messages == ["world"])
        #expect(probe.initialMetadata["x-initial"] == "yes")
    }

    @Test func refusedStreamIsNotProcessed() throws {
        let pair = try EmbeddedPair()
        let probe = self.startCall(pair)
        try pair.exchange()
        try #require(pair.serverDelegate.requests.first).stream.reset(.refusedStream)
        try pair.exchange()
        guard case .failure(let failure) = probe.outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.processing == .refused)
        #expect(!failure.mayHaveBeenProcessed)
    }

    @Test func streamPastGoAwayIsRefused() throws {
        let pair = try EmbeddedPair()
        let probe = self.startCall(pair)
        // The call's stream (id 1) is past a GOAWAY whose last stream id is 0.
        var goAway = ByteBuffer()
        goAway.writeBytes([0, 0, 8, 0x7, 0, 0, 0, 0, 0])
        goAway.writeInteger(UInt32(0))
        goAway.writeInteger(UInt32(0))
        try pair.client.writeInbound(goAway)
        pair.client.embeddedEventLoop.run()
        guard case .failure(let failure) = probe.outcome else {
            Issue.record("expected a failure, got \(String(describing: probe.outcome))")
            return
        }
        #expect(failure.processing == .refused)
        #expect(!pair.clientConnection.isAcceptingStreams)
    }

    @Test func serverErrorStatus() throws {
        let pair = try EmbeddedPair()
        let probe = self.startCall(pair)
        try pair.exchange()
        let request = try #require(pair.serverDelegate.requests.first)
        request.stream.sendTrailers([
            Header(":status", "200"), Header("content-type", "application/grpc"), Header("grpc-status", "5"),
            Header("grpc-message", "no such video"),
        ])
        try pair.exchange()
        guard case .failure(let failure) = probe.outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.code == .notFound)
        #expect(failure.origin == .server)
        #expect(failure.error.message == "no such video")
    }

    @Test func deadlineResetsTheStream() throws {
        let pair = try EmbeddedPair()
        let loop = pair.client.embeddedEventLoop
        let probe = self.startCall(pair, deadline: loop.now + .milliseconds(100))
        try pair.exchange()
        loop.advanceTime(by: .milliseconds(99))
        #expect(probe.outcome == nil)
        loop.advanceTime(by: .milliseconds(1))
        guard case .failure(let failure) = probe.outcome else {
            Issue.record("expected DEADLINE_EXCEEDED at the budget")
            return
        }
        #expect(failure.code == .deadlineExceeded)
        #expect(failure.origin == .local)
        try pair.exchange()
        #expect(pair.serverDelegate.requests.first?.closeReason == .reset(.cancel))
    }

    @Test func oneQueueEndsEachCallAtItsOwnDeadline() throws {
        let pair = try EmbeddedPair()
        let loop = pair.client.embeddedEventLoop
        let deadlines = DeadlineQueue(eventLoop: loop)
        let start = loop.now
        let late = self.startCall(pair, deadline: start + .milliseconds(300), deadlines: deadlines)
        let early = self.startCall(pair, deadline: start + .milliseconds(100), deadlines: deadlines)
        let middle = self.startCall(pair, deadline: start + .milliseconds(200), deadlines: deadlines)
        let answered = self.startCall(pair, deadline: start + .milliseconds(50), deadlines: deadlines)
        try pair.exchange()
        #expect(deadlines.count == 4)
        // The earliest call is answered: it leaves the queue, and the timer set for it finds
        // nothing due and moves on.
        try #require(pair.serverDelegate.requests.last).respond("world")
        try pair.exchange()
        #expect(answered.outcome != nil)
        #expect(deadlines.count == 3)
        loop.advanceTime(by: .milliseconds(99))
        #expect(early.outcome == nil && middle.outcome == nil && late.outcome == nil)
        loop.advanceTime(by: .milliseconds(1))
        #expect(early.outcome?.failureCode == .deadlineExceeded)
        #expect(middle.outcome == nil && late.outcome == nil)
        loop.advanceTime(by: .milliseconds(100))
        #expect(middle.outcome?.failureCode == .deadlineExceeded)
        #expect(late.outcome == nil)
        loop.advanceTime(by: .milliseconds(100))
        #expect(late.outcome?.failureCode == .deadlineExceeded)
        #expect(deadlines.count == 0)
    }

    @Test func finishedCallsLeaveTheQueue() throws {
        let pair = try EmbeddedPair()
        let loop = pair.client.embeddedEventLoop
        let deadlines = DeadlineQueue(eventLoop: loop)
        var probes: [Probe] = []
        for index in 0..<20 {
            probes.append(
                self.startCall(pair, deadline: loop.now + .milliseconds(Int64(1000 - index * 10)), deadlines: deadlines)
            )
        }
        try pair.exchange()
        #expect(deadlines.count == 20)
        // Answered out of deadline order, and two cancelled: the heap keeps its order as calls leave.
        probes[3].call.cancel()
        probes[17].call.cancel()
        for (index, request) in pair.serverDelegate.requests.enumerated() where index % 2 == 0 {
            request.respond("world")
        }
        try pair.exchange()
        #expect(deadlines.count == 8)
        loop.advanceTime(by: .seconds(2))
        #expect(deadlines.count == 0)
        #expect(probes.allSatisfy { $0.outcome != nil })
        #expect(probes.filter { $0.outcome?.failureCode == .deadlineExceeded }.count == 8)
    }

    @Test func cancelBeforeAnswer() throws {
        let pair = try EmbeddedPair()
        let probe = self.startCall(pair)
        try pair.exchange()
        probe.call.cancel()
        probe.call.cancel()
        guard case .failure(let failure) = probe.outcome else {
            Issue.record("expected CANCELLED")
            return
        }
        #expect(failure.code == .cancelled)
        try pair.exchange()
        #expect(pair.serverDelegate.requests.first?.closeReason == .reset(.cancel))
    }
}

extension ClientCall.Outcome {
    /// The failure's code, nil on success.
    fileprivate var failureCode: RPCError.Code? {
        if case .failure(let failure) = self { return failure.code }
        return nil
    }
}
