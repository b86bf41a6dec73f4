import Logging
import RPC
import ServiceLifecycle

/// The gRPC server as a lifecycle service: on graceful shutdown it reports NOT_SERVING, then
/// stops accepting and drains calls in flight (GOAWAY).
struct ServerService: Service, CustomStringConvertible {
    let server: Server
    let health: HealthService

    var description: String { "grpc-server" }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await gracefulShutdown()
                self.health.enterDrain()
                await self.server.shutdownGracefully()
            }
            try await self.server.run()
            group.cancelAll()
        }
    }
}
