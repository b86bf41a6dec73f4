import Foundation
import RPC
import SwiftProtobuf
import TestProtos

/// `halo.testing.v1.TestService`: the echo service interop tests and benchmarks call.
enum TestService {
    static let name = "halo.testing.v1.TestService"
    static let unary = MethodDescriptor(service: name, method: "Unary")
    static let serverStream = MethodDescriptor(service: name, method: "ServerStream", kind: .serverStreaming)
    static let clientStream = MethodDescriptor(service: name, method: "ClientStream", kind: .clientStreaming)
    static let bidi = MethodDescriptor(service: name, method: "Bidi", kind: .bidirectionalStreaming)
    static let getVideo = MethodDescriptor(service: name, method: "GetVideo", isIdempotent: true)

    /// Where GetVideo's handler runs.
    enum HandlerKind: String, CaseIterable {
        case inline, async
    }

    static func register(in router: inout Router, getVideo kind: HandlerKind = .inline) {
        router.unary(unary) { (request: Halo_Testing_V1_EchoRequest, context) in
            try await prepare(request)
            return echo(request, context: context)
        }
        router.serverStreaming(serverStream) {
            (request: Halo_Testing_V1_EchoRequest, context, writer: ResponseWriter<Halo_Testing_V1_EchoResponse>) in
            try await prepare(request)
            for index in 0..<max(0, Int(request.responseCount)) {
                var response = echo(request, context: context)
                response.index = Int32(index)
                try await writer.write(response)
            }
        }
        router.clientStreaming(clientStream) {
            (requests: RequestStream<Halo_Testing_V1_EchoRequest>, context) -> Halo_Testing_V1_EchoResponse in
            var response = Halo_Testing_V1_EchoResponse()
            for try await request in requests {
                try await prepare(request)
                response.message += request.message
                response.payload.append(request.payload)
                response.index += 1
            }
            response.metadata = visibleMetadata(context)
            return response
        }
        router.bidirectionalStreaming(bidi) {
            (
                requests: RequestStream<Halo_Testing_V1_EchoRequest>, context,
                writer: ResponseWriter<Halo_Testing_V1_EchoResponse>
            ) in
            var index: Int32 = 0
            for try await request in requests {
                try await prepare(request)
                var response = echo(request, context: context)
                response.index = index
                index += 1
                try await writer.write(response)
            }
        }
        switch kind {
        case .inline: router.unaryOnEventLoop(getVideo) { request, _ in try video(request) }
        case .async: router.unary(getVideo) { request, _ in try video(request) }
        }
    }

    /// GetVideo: an in-memory lookup, like the Go peer's.
    private static func video(_ request: Halo_Testing_V1_GetVideoRequest) throws -> Halo_Testing_V1_Video {
        guard request.id >= 1, request.id <= 1000 else {
            throw RPCError(code: .notFound, message: "video \(request.id) not found")
        }
        return .with {
            $0.id = request.id
            $0.title = "Video number \(request.id)"
            $0.views = request.id * 1000
            $0.live = request.id % 2 == 0
        }
    }

    /// Honours `delay_ms` (cancellable) and `fail_code`.
    private static func prepare(_ request: Halo_Testing_V1_EchoRequest) async throws {
        if request.delayMs > 0 { try await Task.sleep(for: .milliseconds(Int(request.delayMs))) }
        if request.failCode != 0 {
            throw RPCError(code: RPCError.Code(rawValue: Int(request.failCode)), message: request.failMessage)
        }
    }

    private static func echo(
        _ request: Halo_Testing_V1_EchoRequest, context: ServerContext
    )
        -> Halo_Testing_V1_EchoResponse
    {
        .with {
            $0.message = request.message
            $0.payload = request.payload
            $0.metadata = visibleMetadata(context)
        }
    }

    private static func visibleMetadata(_ context: ServerContext) -> [String: String] {
        var visible: [String: String] = [:]
        for (key, value) in context.metadata.entries where !key.hasPrefix("grpc-") {
            switch value {
            case .string(let string): visible[key] = string
            case .binary(let bytes): visible[key] = Data(bytes).base64EncodedString()
            }
        }
        return visible
    }
}
