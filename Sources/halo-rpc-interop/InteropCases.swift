import Foundation
import HealthProtos
import RPC
import SwiftProtobuf
import TestProtos

/// The client cases, each checking what a conforming server must answer.
struct InteropCases {
    typealias Request = Halo_Testing_V1_EchoRequest
    typealias Response = Halo_Testing_V1_EchoResponse

    let client: ClientConnection

    func run(_ testCase: CallCommand.Case) async throws {
        switch testCase {
        case .unary: try await self.unary()
        case .server_stream: try await self.serverStream()
        case .client_stream: try await self.clientStream()
        case .bidi: try await self.bidi()
        case .metadata: try await self.metadata()
        case .deadline_exceeded: try await self.deadlineExceeded()
        case .cancellation: try await self.cancellation()
        case .large_message: try await self.largeMessage()
        case .error_status: try await self.errorStatus()
        case .health: try await self.health()
        }
    }

    private func unary() async throws {
        let response = try await self.client.unary(
            TestService.unary, Request.with { $0.message = "hello" }, as: Response.self)
        try expect(response.message == "hello", "echoed \(response.message)")
    }

    private func serverStream() async throws {
        let indices = try await self.client.serverStreaming(
            TestService.serverStream,
            Request.with {
                $0.message = "s"; $0.responseCount = 100
            }, as: Response.self
        ) { responses in
            var indices: [Int32] = []
            for try await response in responses { indices.append(response.index) }
            return indices
        }
        try expect(indices == Array(0..<100), "indices \(indices.prefix(5))... (\(indices.count))")
    }

    private func clientStream() async throws {
        let response = try await self.client.clientStreaming(TestService.clientStream, as: Response.self) {
            (requests: RequestWriter<Request>) in
            for word in ["a", "b", "c"] { try await requests.write(.with { $0.message = word }) }
        }
        try expect(response.message == "abc" && response.index == 3, "got \(response.message) \(response.index)")
    }

    private func bidi() async throws {
        let echoed = try await self.client.bidirectionalStreaming(TestService.bidi, as: Response.self) {
            (requests: RequestWriter<Request>, responses) in
            var iterator = responses.makeAsyncIterator()
            var echoed: [String] = []
            for word in ["one", "two", "three"] {
                try await requests.write(.with { $0.message = word })
                guard let response = try await iterator.next() else { throw CaseFailure("stream ended early") }
                echoed.append(response.message)
            }
            try await requests.finish()
            try expect(try await iterator.next() == nil, "extra response")
            return echoed
        }
        try expect(echoed == ["one", "two", "three"], "echoed \(echoed)")
    }

    private func metadata() async throws {
        var metadata = Metadata()
        metadata.add("x-halo-test", "hello")
        metadata.add("x-halo-bin-bin", bytes: [0x00, 0x01, 0xFF])
        let response = try await self.client.unary(
            TestService.unary, Request.with { $0.message = "m" }, as: Response.self,
            options: CallOptions(metadata: metadata))
        try expect(response.metadata["x-halo-test"] == "hello", "text metadata: \(response.metadata)")
        let binary = response.metadata["x-halo-bin-bin"].flatMap { Data(base64Encoded: $0) }
        try expect(binary == Data([0x00, 0x01, 0xFF]), "binary metadata: \(response.metadata)")
    }

    private func deadlineExceeded() async throws {
        let start = ContinuousClock.now
        do {
            _ = try await self.client.unary(
                TestService.unary, Request.with { $0.delayMs = 2000 }, as: Response.self,
                options: CallOptions(timeout: .milliseconds(200)))
            throw CaseFailure("the call succeeded past its deadline")
        } catch let error as RPCError {
            try expect(error.code == .deadlineExceeded, "got \(error)")
        }
        let elapsed = ContinuousClock.now - start
        try expect(elapsed < .milliseconds(1500), "took \(elapsed)")
    }

    private func cancellation() async throws {
        let task = Task {
            try await self.client.bidirectionalStreaming(TestService.bidi, as: Response.self) {
                (requests: RequestWriter<Request>, responses) in
                try await requests.write(.with { $0.message = "first" })
                for try await _ in responses {}
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        do {
            try await task.value
            throw CaseFailure("the cancelled call succeeded")
        } catch let error as RPCError {
            try expect(error.code == .cancelled, "got \(error)")
        } catch is CancellationError {}
        // The connection still serves.
        try await self.unary()
    }

    private func largeMessage() async throws {
        let payload = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let response = try await self.client.unary(
            TestService.unary, Request.with { $0.payload = payload }, as: Response.self,
            options: CallOptions(maxResponseMessageSize: 8 << 20))
        try expect(response.payload == payload, "payload of \(response.payload.count) bytes differs")
    }

    private func errorStatus() async throws {
        do {
            _ = try await self.client.unary(
                TestService.unary,
                Request.with {
                    $0.failCode = 5; $0.failMessage = "not here ✓"
                },
                as: Response.self)
            throw CaseFailure("the call succeeded")
        } catch let error as RPCError {
            try expect(error.code == .notFound && error.message == "not here ✓", "got \(error)")
        }
    }

    private func health() async throws {
        let response = try await self.client.unary(
            HealthService.check, Grpc_Health_V1_HealthCheckRequest(), as: Grpc_Health_V1_HealthCheckResponse.self)
        try expect(response.status == .serving, "status \(response.status)")
    }
}
