package import HealthProtos
import SwiftProtobuf
import Synchronization

/// `grpc.health.v1.Health`: Check and Watch, with a settable status per service name.
/// The empty name stands for the whole server.
package final class HealthService: Sendable {
    package typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    package static let check = MethodDescriptor(
        service: "grpc.health.v1.Health", method: "Check", isIdempotent: true)
    package static let watch = MethodDescriptor(
        service: "grpc.health.v1.Health", method: "Watch", kind: .serverStreaming, isIdempotent: true)

    private struct State {
        var statuses: [String: Status] = ["": .serving]
        var watchers: [Int: (service: String, continuation: AsyncStream<Status>.Continuation)] = [:]
        var nextWatcher = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Sets a service's status and tells its watchers.
    package func setStatus(_ status: Status, for service: String = "") {
        self.state.withLock { state in
            guard state.statuses[service] != status else { return }
            state.statuses[service] = status
            for watcher in state.watchers.values where watcher.service == service {
                watcher.continuation.yield(status)
            }
        }
    }

    /// The current status of a service (nil if never set).
    package func status(for service: String) -> Status? {
        self.state.withLock { $0.statuses[service] }
    }

    /// Marks every service NOT_SERVING (on shutdown) so balancers stop sending new calls.
    package func enterDrain() {
        let services = self.state.withLock { Array($0.statuses.keys) }
        for service in services { self.setStatus(.notServing, for: service) }
    }

    /// Adds Check and Watch to a router.
    package func register(in router: inout Router) {
        router.unaryOnEventLoop(Self.check) {
            (request: Grpc_Health_V1_HealthCheckRequest, _) -> Grpc_Health_V1_HealthCheckResponse in
            guard let status = self.status(for: request.service) else {
                throw RPCError(code: .notFound, message: "unknown service \(request.service)")
            }
            return .with { $0.status = status }
        }
        router.serverStreaming(Self.watch) {
            (
                request: Grpc_Health_V1_HealthCheckRequest, _,
                writer: ResponseWriter<Grpc_Health_V1_HealthCheckResponse>
            )
            in
            let (updates, continuation) = AsyncStream<Status>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let id = self.state.withLock { state in
                let id = state.nextWatcher
                state.nextWatcher += 1
                state.watchers[id] = (request.service, continuation)
                continuation.yield(state.statuses[request.service] ?? .serviceUnknown)
                return id
            }
            defer { _ = self.state.withLock { $0.watchers.removeValue(forKey: id) } }
            try await withTaskCancellationHandler {
                for await status in updates {
                    try await writer.write(.with { $0.status = status })
                }
            } onCancel: {
                continuation.finish()
            }
        }
    }
}
