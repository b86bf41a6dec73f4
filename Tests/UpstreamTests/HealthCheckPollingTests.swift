import HTTP2
import HealthProtos
import Logging
import NIOCore
import NIOPosix
import RPC
import SwiftProtobuf
import Synchronization
import TestProtos
import Testing
import Upstream

/// The Check fallback: a server with Check but no Watch (UNIMPLEMENTED) is polled every interval,
/// and the endpoint moves only after `unhealthyThreshold` failed checks (NOT_SERVING or a Check
/// past its timeout) and back after `healthyThreshold` SERVING answers in a row.
@Suite struct HealthCheckPollingTests {
    /// A Check-only health service whose answers the test hands out one at a time.
    final class ScriptedCheck: Sendable {
        enum Answer: Sendable {
            case status(HealthService.Status)
            /// No answer before the client's Check timeout.
            case hang
        }

        private struct State {
            var arrived = 0
            var answers: [Answer] = []
            var waiting: [CheckedContinuation<Answer, Never>] = []
        }

        private let state = Mutex(State())

        /// Checks received so far.
        var arrived: Int { self.state.withLock { $0.arrived } }

        /// The answer to the oldest check waiting, or to the next one to arrive.
        func answer(_ answer: Answer) {
            let waiter: CheckedContinuation<Answer, Never>? = self.state.withLock { state in
                guard !state.waiting.isEmpty else {
                    state.answers.append(answer)
                    return nil
                }
                return state.waiting.removeFirst()
            }
            waiter?.resume(returning: answer)
        }

        /// Answers every check still waiting, so the server can stop.
        func release() {
            let waiting = self.state.withLock { state in
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiter in waiting { waiter.resume(returning: .status(.serving)) }
        }

        func next() async -> Answer {
            await withCheckedContinuation { continuation in
                let answer: Answer? = self.state.withLock { state in
                    state.arrived += 1
                    guard !state.answers.isEmpty else {
                        state.waiting.append(continuation)
                        return nil
                    }
                    return state.answers.removeFirst()
                }
                if let answer { continuation.resume(returning: answer) }
            }
        }

        func register(in router: inout Router) {
            router.unary(HealthService.check) {
                (_: Grpc_Health_V1_HealthCheckRequest, _) -> Grpc_Health_V1_HealthCheckResponse in
                switch await self.next() {
                case .status(let status):
                    return .with { $0.status = status }
                case .hang:
                    try await Task.sleep(for: .seconds(10))
                    return .with { $0.status = .serving }
                }
            }
        }
    }

    @Test func pollsCountTowardTheThresholds() async throws {
        let script = ScriptedCheck()
        var router = Router()
        script.register(in: &router)
        router.unary(TestMethods.unary) { (request: Halo_Testing_V1_EchoRequest, _) -> Halo_Testing_V1_EchoResponse in
            .with { $0.message = request.message }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var serverConfiguration = Server.Configuration()
        serverConfiguration.http2.drainTimeout = .milliseconds(300)
        let server = Server(
            configuration: serverConfiguration, router: router, group: group, logger: Logger(label: "test"))
        let address = try await server.start()

        var configuration = ClusterConfiguration(
            name: "poll", endpoints: [.init(host: "127.0.0.1", port: address.port!)])
        configuration.healthCheck?.interval = .milliseconds(50)
        // Room for the test to hand out each answer while its check waits (a loaded machine).
        configuration.healthCheck?.timeout = .milliseconds(1500)
        configuration.healthCheck?.unhealthyThreshold = 3
        configuration.healthCheck?.healthyThreshold = 2
        let cluster = Cluster(configuration: configuration, group: group, logger: Logger(label: "test"))
        func health() async -> HealthStatus.State? { await cluster.snapshot().loops[0].endpoints.first?.health }
        /// Answers the check now waiting, then waits for the next one: the client has applied the answer.
        func answer(_ answer: ScriptedCheck.Answer) async throws {
            let arrived = script.arrived
            script.answer(answer)
            try await waitUntil("check \(arrived + 1) arrives") { script.arrived > arrived }
        }

        var outcome: Result<Void, any Error> = .success(())
        do {
            try await cluster.start()
            try await waitUntil("the first check arrives (after Watch was UNIMPLEMENTED)") { script.arrived == 1 }
            try await answer(.status(.serving))
            #expect(await health() == .healthy, "the first answer settles an unknown endpoint")

            try await answer(.status(.notServing))
            #expect(await health() == .healthy, "one failed check of three")
            try await answer(.status(.notServing))
            #expect(await health() == .healthy, "two failed checks of three")
            // A Check past its timeout is the third failure.
            try await answer(.hang)
            #expect(await health() == .unhealthy, "three failed checks drain the endpoint")
            let drained = await cluster.result(TestMethods.unary, TestMethods.echo())
            guard case .failure(let failure) = drained else {
                Issue.record("a drained endpoint takes no call")
                throw CancellationError()
            }
            #expect(failure.reason == .noEndpoint)
            #expect(failure.attempts == 0)

            try await answer(.status(.serving))
            #expect(await health() == .unhealthy, "one SERVING of two")
            try await answer(.status(.serving))
            #expect(await health() == .healthy, "two SERVING in a row bring it back")
            if case .failure(let failure) = await cluster.result(TestMethods.unary, TestMethods.echo()) {
                Issue.record("the endpoint is back but the call failed: \(failure)")
            }
        } catch {
            outcome = .failure(error)
        }
        await cluster.shutDown()
        script.release()
        await server.shutdownGracefully()
        try await group.shutdownGracefully()
        try outcome.get()
    }
}
