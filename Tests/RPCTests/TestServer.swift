import Foundation
import Logging
import NIOCore
import NIOPosix
import RPC
import SwiftProtobuf
import Synchronization
import TestProtos

typealias EchoRequest = Halo_Testing_V1_EchoRequest
typealias EchoResponse = Halo_Testing_V1_EchoResponse

/// The test service's methods, registered with handlers that report what happened to them.
enum Echo {
    static let service = "halo.testing.v1.TestService"
    static let unary = MethodDescriptor(service: service, method: "Unary")
    static let serverStream = MethodDescriptor(service: service, method: "ServerStream", kind: .serverStreaming)
    static let clientStream = MethodDescriptor(service: service, method: "ClientStream", kind: .clientStreaming)
    static let bidi = MethodDescriptor(service: service, method: "Bidi", kind: .bidirectionalStreaming)
    static let crash = MethodDescriptor(service: service, method: "Crash")

    static func router(events: Events) -> Router {
        var router = Router()
        router.unary(unary) { (request: EchoRequest, context) -> EchoResponse in
            events.record("started \(request.message)")
            do {
                if request.delayMs > 0 { try await Task.sleep(for: .milliseconds(Int(request.delayMs))) }
            } catch {
                events.record("cancelled \(request.message)")
                throw error
            }
            if request.failCode != 0 {
                var metadata = Metadata()
                metadata.add("x-detail", "see docs")
                // Stands for a serialized google.rpc.Status: the rich status travels as bytes.
                metadata.add("grpc-status-details-bin", bytes: [0x08, 0x09, 0x12, 0x00, 0xFF])
                throw RPCError(
                    code: RPCError.Code(rawValue: Int(request.failCode)), message: request.failMessage,
                    metadata: metadata)
            }
            return .with {
                $0.message = request.message
                $0.payload = request.payload
                $0.metadata = Dictionary(
                    context.metadata.entries.compactMap { entry in
                        if case .string(let value) = entry.value { return (entry.key, value) }
                        return nil
                    }, uniquingKeysWith: { first, _ in first })
            }
        }
        router.serverStreaming(serverStream) {
            (request: EchoRequest, _, writer: ResponseWriter<EchoResponse>) in
            for index in 0..<Int(request.responseCount) {
                try await writer.write(
                    .with {
                        $0.index = Int32(index); $0.payload = request.payload
                    })
            }
        }
        router.clientStreaming(clientStream) { (requests: RequestStream<EchoRequest>, _) -> EchoResponse in
            var response = EchoResponse()
            for try await request in requests {
                response.message += request.message
                response.index += 1
            }
            return response
        }
        router.bidirectionalStreaming(bidi) {
            (requests: RequestStream<EchoRequest>, _, writer: ResponseWriter<EchoResponse>) in
            for try await request in requests { try await writer.write(.with { $0.message = request.message }) }
        }
        router.unary(crash) { (_: EchoRequest, _) -> EchoResponse in
            struct SecretFailure: Error { let detail = "password=hunter2 at db.internal:5432" }
            throw SecretFailure()
        }
        return router
    }
}

/// What handlers saw, for assertions.
final class Events: Sendable {
    private let events = Mutex<[String]>([])
    func record(_ event: String) { self.events.withLock { $0.append(event) } }
    var all: [String] { self.events.withLock { $0 } }

    /// Waits (briefly) until `event` was recorded.
    func waitFor(_ event: String, timeout: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if self.all.contains(event) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        // A starved test thread may wake past the deadline: look once more.
        return self.all.contains(event)
    }
}

/// Runs `body` with a started server on a free port and a client connected to it.
func withEchoServer<Result>(
    configure: (inout Server.Configuration) -> Void = { _ in },
    _ body: (Server, ClientConnection, Events) async throws -> Result
) async throws -> Result {
    let events = Events()
    var configuration = Server.Configuration()
    configure(&configuration)
    // Loops of its own: what other suites in this process do to the shared loops can't stall it.
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server = Server(
        configuration: configuration, router: Echo.router(events: events), group: group,
        logger: Logger(label: "test.server"))
    let address = try await server.start()
    let client = ClientConnection(host: "127.0.0.1", port: address.port!, eventLoop: group.next())
    do {
        let result = try await body(server, client, events)
        await client.close()
        await server.shutdownGracefully()
        try await group.shutdownGracefully()
        return result
    } catch {
        await client.close()
        await server.shutdownGracefully()
        try? await group.shutdownGracefully()
        throw error
    }
}
