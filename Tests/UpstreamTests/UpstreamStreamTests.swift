import HTTP2
import NIOCore
import RPC
import SwiftProtobuf
import TestProtos
import Testing
import Upstream

/// Records a pass-through call's events on its loop; `finished` completes when the call ends.
/// Touched only on the loop until `finished` completes, then read by the test.
final class StreamRecorder: UpstreamStreamDelegate, @unchecked Sendable {
    var head: [Header]?
    var data = ByteBuffer()
    var end: UpstreamStream.End?
    let finished: EventLoopPromise<Void>
    /// Completes at the first response DATA (or the end).
    let firstData: EventLoopPromise<Void>
    private var firstDataDone = false
    private var finishedDone = false

    init(eventLoop: any EventLoop) {
        self.finished = eventLoop.makePromise()
        self.firstData = eventLoop.makePromise()
    }

    func upstreamStream(_ stream: UpstreamStream, receivedHead headers: [Header]) { self.head = headers }

    func upstreamStream(_ stream: UpstreamStream, receivedData data: ByteBuffer) {
        var copy = data
        self.data.writeBuffer(&copy)
        stream.consume(data.readableBytes)
        self.completeFirstData()
    }

    func upstreamStream(_ stream: UpstreamStream, finished end: UpstreamStream.End) {
        self.end = end
        self.complete()
    }

    /// Completes both promises once (a test that cancels the call calls it at its end, on the loop).
    func complete() {
        self.completeFirstData()
        guard !self.finishedDone else { return }
        self.finishedDone = true
        self.finished.succeed()
    }

    private func completeFirstData() {
        guard !self.firstDataDone else { return }
        self.firstDataDone = true
        self.firstData.succeed()
    }

    func upstreamStream(_ stream: UpstreamStream, writabilityChanged isWritable: Bool) {}

    /// The response messages received, deframed.
    func messages() throws -> [Halo_Testing_V1_EchoResponse] {
        var buffer = self.data
        var messages: [Halo_Testing_V1_EchoResponse] = []
        while let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self) {
            buffer.moveReaderIndex(forwardBy: 5)
            let bytes = buffer.readBytes(length: Int(length))!
            messages.append(try Halo_Testing_V1_EchoResponse(serializedBytes: bytes))
        }
        return messages
    }
}

@Suite("Upstream: pass-through streams through a loop's pool, against a real server")
struct UpstreamStreamTests {
    static let headers = [Header("content-type", "application/grpc"), Header("te", "trailers")]
    static let bidi = MethodDescriptor(service: TestMethods.service, method: "Bidi", kind: .bidirectionalStreaming)

    static func framed(_ message: String, delayMs: UInt32 = 0) -> ByteBuffer {
        var request = try! RequestMessage(
            Halo_Testing_V1_EchoRequest.with {
                $0.message = message
                $0.delayMs = delayMs
            })
        return request.framed()
    }

    /// Opens a stream on the cluster's loop; `body` runs there right after.
    static func open(
        _ cluster: Cluster, _ method: MethodDescriptor, deadline: TimeAmount = .seconds(5),
        _ body: @escaping (UpstreamStream) -> Void = { _ in }
    ) async throws -> (StreamRecorder, NIOLoopBound<UpstreamStream>) {
        let loop = cluster.loops[0]
        return try await loop.submit {
            let pool = cluster.pool(on: loop)
            let recorder = StreamRecorder(eventLoop: loop)
            let stream = pool.stream(
                path: method.path, method: method, headers: Self.headers, deadline: loop.now + deadline,
                delegate: recorder)
            body(stream)
            return (recorder, NIOLoopBound(stream, eventLoop: loop))
        }.get()
    }

    @Test func bidirectionalMessagesFlowAndTheStatusArrives() async throws {
        let replica = try Replica()
        defer { try? replica.stop() }
        try await withCluster([replica]) { cluster in
            let (recorder, _) = try await Self.open(cluster, Self.bidi) { stream in
                // Split one message across two writes: bytes pass through as they are.
                var first = Self.framed("one")
                let head = first.readSlice(length: 3)!
                stream.write(head, endStream: false)
                stream.write(first, endStream: false)
                stream.write(Self.framed("two"), endStream: true)
            }
            try await recorder.finished.futureResult.get()
            guard case .status(let code, let trailers, let trailersOnly) = recorder.end else {
                Issue.record("no status: \(String(describing: recorder.end))")
                return
            }
            #expect(code == .ok && !trailersOnly)
            #expect(trailers.first("grpc-status") == "0")
            #expect(recorder.head?.first(":status") == "200")
            #expect(try recorder.messages().map(\.message) == ["one", "two"])
        }
    }

    @Test func theDeadlineEndsTheCallDeadlineExceeded() async throws {
        let replica = try Replica()
        defer { try? replica.stop() }
        try await withCluster([replica]) { cluster in
            let start = ContinuousClock.now
            let (recorder, _) = try await Self.open(cluster, Self.bidi, deadline: .milliseconds(200)) { stream in
                stream.write(Self.framed("slow", delayMs: 3000), endStream: true)
            }
            try await recorder.finished.futureResult.get()
            guard case .failed(let failure) = recorder.end else {
                Issue.record("expected a failure: \(String(describing: recorder.end))")
                return
            }
            #expect(failure.code == .deadlineExceeded)
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test func aCancelledCallLeavesNothingActive() async throws {
        let replica = try Replica()
        defer { try? replica.stop() }
        try await withCluster([replica]) { cluster in
            let (recorder, stream) = try await Self.open(cluster, Self.bidi) { stream in
                stream.write(Self.framed("hello"), endStream: false)
            }
            try await recorder.firstData.futureResult.get()
            let (active, end) = try await cluster.loops[0].submit {
                stream.value.cancel()
                defer { recorder.complete() }
                return (cluster.pool(on: cluster.loops[0]).activeRequests, recorder.end)
            }.get()
            #expect(active == 0)
            // The owner hears nothing after its own cancel.
            #expect(end == nil)
        }
    }

    @Test func theLoopsRequestLimitRefusesAtOnce() async throws {
        let replica = try Replica()
        defer { try? replica.stop() }
        try await withCluster([replica], configure: { $0.maxActiveRequests = 1 }) { cluster in
            let (held, first) = try await Self.open(cluster, Self.bidi)
            let (refused, _) = try await Self.open(cluster, Self.bidi)
            try await refused.finished.futureResult.get()
            guard case .failed(let failure) = refused.end else {
                Issue.record("expected a refusal: \(String(describing: refused.end))")
                return
            }
            #expect(failure.reason == .overloaded)
            #expect(failure.code == .unavailable)
            let end = try await cluster.loops[0].submit {
                first.value.cancel()
                defer { held.complete() }
                return held.end
            }.get()
            #expect(end == nil)
        }
    }
}

extension UpstreamStreamTests {
    /// A loop's pass-through calls share one deadline queue (one timer), not a scheduled task
    /// each: every admitted call is in it until it ends, and each still ends at its own deadline.
    @Test func oneDeadlineQueuePerLoopWatchesEveryStream() async throws {
        let replica = try Replica()
        defer { try? replica.stop() }
        try await withCluster([replica]) { cluster in
            let loop = cluster.loops[0]
            let (short, _) = try await Self.open(cluster, Self.bidi, deadline: .seconds(1))
            let (long, longStream) = try await Self.open(cluster, Self.bidi, deadline: .seconds(30))
            let (answered, answeredStream) = try await Self.open(cluster, Self.bidi, deadline: .seconds(20))
            let watched = try await loop.submit {
                let watched = cluster.pool(on: loop).watchedStreamDeadlines
                answeredStream.value.write(Self.framed("done"), endStream: true)
                return watched
            }.get()
            #expect(watched == 3)
            try await answered.finished.futureResult.get()
            try await short.finished.futureResult.get()
            guard case .failed(let failure) = short.end else {
                Issue.record("expected DEADLINE_EXCEEDED: \(String(describing: short.end))")
                return
            }
            #expect(failure.code == .deadlineExceeded)
            let (left, end) = try await loop.submit {
                let left = cluster.pool(on: loop).watchedStreamDeadlines
                longStream.value.cancel()
                defer { long.complete() }
                return (left, long.end)
            }.get()
            #expect(left == 1, "the answered and the expired calls left the queue")
            #expect(end == nil)
            let after = try await loop.submit { cluster.pool(on: loop).watchedStreamDeadlines }.get()
            #expect(after == 0)
        }
    }
}
