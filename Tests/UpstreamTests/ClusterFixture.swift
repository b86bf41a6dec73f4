import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOPosix
import RPC
import SwiftProtobuf
import TestProtos
import Upstream

/// halo.testing.v1.TestService as the cluster tests call it.
enum TestMethods {
    static let service = "halo.testing.v1.TestService"
    /// An in-memory read: idempotent, so retried on failure.
    static let getVideo = MethodDescriptor(service: service, method: "GetVideo", isIdempotent: true)
    /// Echo with `fail_code`/`delay_ms`: not idempotent, never retried once it may have run.
    static let unary = MethodDescriptor(service: service, method: "Unary")
    /// The same echo declared idempotent, so that its failures may be retried.
    static let idempotentEcho = MethodDescriptor(service: service, method: "Unary", isIdempotent: true)

    static func getVideo(_ id: Int64 = 7) -> RequestMessage {
        try! RequestMessage(Halo_Testing_V1_GetVideoRequest.with { $0.id = id })
    }

    static func echo(failCode: Int32 = 0, delayMs: UInt32 = 0) -> RequestMessage {
        try! RequestMessage(
            Halo_Testing_V1_EchoRequest.with {
                $0.message = "hi"
                $0.failCode = failCode
                $0.delayMs = delayMs
            })
    }
}

/// Runs `body` with a started cluster (one event loop, so one pool) over `replicas`, once every
/// endpoint has a ready connection.
func withCluster<Result>(
    _ replicas: [Replica], resolver: any EndpointResolver = DNSResolver(), metrics: (any MetricsFactory)? = nil,
    configure: (inout ClusterConfiguration) -> Void = { _ in }, _ body: (Cluster) async throws -> Result
) async throws -> Result {
    var configuration = ClusterConfiguration(
        name: "test", endpoints: replicas.map { .init(host: "127.0.0.1", port: $0.port) })
    configuration.healthCheck?.interval = .milliseconds(200)
    configuration.reconnectBackoff = Backoff(
        initial: .milliseconds(50), multiplier: 2, jitter: 0.2, maximum: .seconds(1))
    configure(&configuration)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var logger = Logger(label: "test.upstream")
    logger.logLevel = .critical
    let cluster = Cluster(
        configuration: configuration, group: group, resolver: resolver, logger: logger,
        metricsFactory: metrics ?? NOOPMetricsHandler.instance)
    do {
        try await cluster.start()
        try await waitUntil("every endpoint ready") {
            await cluster.snapshot().loops[0].endpoints.allSatisfy { $0.connections.contains(.ready) }
        }
        let result = try await body(cluster)
        await cluster.shutDown()
        try await group.shutdownGracefully()
        return result
    } catch {
        await cluster.shutDown()
        try? await group.shutdownGracefully()
        throw error
    }
}

/// Polls `condition` every 10 ms for up to `timeout`.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(5), _ condition: () async -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    if await condition() { return }
    throw ReplicaError(message: "timed out waiting until \(what)")
}

/// One call's result and when it ended.
struct CallRecord: Sendable {
    var result: Result<UpstreamResponse, UpstreamFailure>
    var ended: ContinuousClock.Instant
}

/// `workers` concurrent callers, each calling in a loop for `duration`.
func runLoad(
    _ cluster: Cluster, workers: Int, duration: Duration,
    call: @escaping @Sendable (Cluster) async -> Result<UpstreamResponse, UpstreamFailure>
) async -> [CallRecord] {
    let end = ContinuousClock.now + duration
    return await withTaskGroup(of: [CallRecord].self) { group in
        for _ in 0..<workers {
            group.addTask {
                var records: [CallRecord] = []
                while ContinuousClock.now < end {
                    records.append(CallRecord(result: await call(cluster), ended: .now))
                }
                return records
            }
        }
        var all: [CallRecord] = []
        for await records in group { all += records }
        return all
    }
}

extension Cluster {
    /// A call whose outcome is a value (for collecting).
    func result(
        _ method: MethodDescriptor, _ request: RequestMessage, timeout: Duration? = nil
    ) async -> Result<UpstreamResponse, UpstreamFailure> {
        do {
            return .success(try await self.unary(method, request: request, timeout: timeout))
        } catch {
            return .failure(error)
        }
    }
}
