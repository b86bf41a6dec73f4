import Foundation
import Logging
import NIOCore
import NIOPosix
import RPC
import Testing
import Upstream

/// A cluster on a group of two event loops: each loop's pool has its own connections to every
/// endpoint, and a call made on a loop is served there: counted in that loop's pool only, and
/// completed on that loop (the gateway's request path never leaves its loop).
@Suite(.serialized) struct MultiLoopTests {
    @Test func eachLoopServesTheCallsMadeOnIt() async throws {
        let replicas = try startReplicas(2)
        var configuration = ClusterConfiguration(
            name: "loops", endpoints: replicas.map { .init(host: "127.0.0.1", port: $0.port) })
        configuration.healthCheck = nil
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let cluster = Cluster(configuration: configuration, group: group, logger: Logger(label: "test"))
        var outcome: Result<Void, any Error> = .success(())
        do {
            try await cluster.start()
            try await waitUntil("each loop has a ready connection to every endpoint") {
                let loops = await cluster.snapshot().loops
                return loops.count == 2
                    && loops.allSatisfy { $0.endpoints.allSatisfy { $0.connections.contains(.ready) } }
            }
            for (index, loop) in cluster.loops.enumerated() {
                // What went wrong with the call, if anything.
                let problem = loop.makePromise(of: String?.self)
                try await loop.submit {
                    var request = TestMethods.echo(delayMs: 500)
                    _ = cluster.pool(on: loop).unary(TestMethods.unary, request: &request, timeout: .seconds(5)) {
                        result in
                        if case .failure(let failure) = result { return problem.succeed("failed: \(failure)") }
                        problem.succeed(loop.inEventLoop ? nil : "completed off its loop")
                    }
                }.get()
                // While it waits for its answer, only its own loop's pool counts it.
                let snapshot = await cluster.snapshot()
                for (other, state) in snapshot.loops.enumerated() {
                    let expected = other == index ? 1 : 0
                    #expect(state.activeRequests == expected, "loop \(other)'s requests while loop \(index) calls")
                    #expect(state.endpoints.map(\.inFlight).reduce(0, +) == expected)
                }
                let found = try await problem.futureResult.get()
                #expect(found == nil, "loop \(index)'s call: \(found ?? "")")
            }
        } catch {
            outcome = .failure(error)
        }
        await cluster.shutDown()
        try await group.shutdownGracefully()
        try outcome.get()
    }
}
