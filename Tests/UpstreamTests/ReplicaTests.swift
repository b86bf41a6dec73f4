import Foundation
import MetricsTestKit
import NIOCore
import RPC
import Synchronization
import Testing
import Upstream

/// Three (or fewer) real `halo-rpc-interop serve` processes behind one cluster: balance, a
/// kill -9 under load, a stopped backend, a failing backend and the breaker, and a drain
/// (NOT_SERVING, then GOAWAY). RELIABILITY.md cases 22–24 and 27.
@Suite(.serialized) struct ReplicaTests {
    @Test func roundRobinSharesLoadEvenly() async throws {
        let replicas = try startReplicas(3)
        let records = try await withCluster(replicas) { cluster in
            await withTaskGroup(of: [CallRecord].self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        var records: [CallRecord] = []
                        for _ in 0..<100 {
                            records.append(
                                CallRecord(
                                    result: await cluster.result(TestMethods.getVideo, TestMethods.getVideo()),
                                    ended: .now))
                        }
                        return records
                    }
                }
                var all: [CallRecord] = []
                for await records in group { all += records }
                return all
            }
        }
        var counts: [Int: Int] = [:]
        for record in records {
            guard case .success(let response) = record.result else {
                Issue.record("call failed: \(record.result)")
                continue
            }
            counts[response.endpoint.port!, default: 0] += 1
        }
        for replica in replicas {
            let count = counts[replica.port, default: 0]
            #expect(abs(count - 200) <= 20, "replica on \(replica.port) served \(count) of 600")
        }
    }

    @Test func killedReplicaCostsIdempotentCallsNothing() async throws {
        let replicas = try startReplicas(3)
        let victim = replicas[1]
        let killedAt = ManagedInstant()
        let metrics = TestMetrics()
        // Ejection takes consecutive server faults, and the calls lost with the connection are all
        // a dead backend gives; after that it is never picked again (its reconnections fail), so one
        // fault must do. Each call takes 20 ms at the backend, so the victim surely has calls in flight
        // when it dies (with instant calls, under AddressSanitizer it once had none, and was never
        // ejected); idempotent, so the lost ones go again elsewhere.
        let (records, snapshot) = try await withCluster(
            replicas, metrics: metrics, configure: { $0.outlierDetection.consecutiveFaults = 1 }
        ) { cluster in
            async let records = runLoad(cluster, workers: 6, duration: .milliseconds(1500)) { cluster in
                await cluster.result(TestMethods.idempotentEcho, TestMethods.echo(delayMs: 20), timeout: .seconds(2))
            }
            try await Task.sleep(for: .milliseconds(400))
            victim.signal(SIGKILL)
            killedAt.set(.now)
            let all = await records
            return (all, await cluster.snapshot())
        }
        let failures = records.filter { if case .failure = $0.result { true } else { false } }
        #expect(failures.isEmpty, "\(failures.count) of \(records.count) calls failed: \(failures.prefix(3))")
        let servedByVictimLater = records.filter { record in
            guard case .success(let response) = record.result else { return false }
            return response.endpoint.port == victim.port && record.ended > killedAt.value + .milliseconds(50)
        }
        #expect(servedByVictimLater.isEmpty)
        let servedAfterKill = records.filter { record in
            guard case .success = record.result else { return false }
            return record.ended > killedAt.value + .milliseconds(100)
        }
        #expect(servedAfterKill.count > 50, "the others kept serving: \(servedAfterKill.count) calls after the kill")
        let victimState = try #require(snapshot.loops[0].endpoints.first { $0.address.hasSuffix(":\(victim.port)") })
        #expect(!victimState.connections.contains(.ready), "the dead endpoint is out of the pool")
        #expect(victimState.ejected && victimState.ejections == 1, "the dead endpoint is ejected")
        for other in snapshot.loops[0].endpoints where other.address != victimState.address {
            #expect(!other.ejected && other.ejections == 0, "\(other.address) is not ejected")
        }
        #expect(metrics.counterTotal(label: "upstream.ejections", dimensions: [("cluster", "test")]) == 1)
    }

    @Test func stoppedReplicaGivesDeadlineExceededAtBudgetAndIsEjected() async throws {
        let replicas = try startReplicas(2)
        let stopped = replicas[0]
        defer { stopped.signal(SIGCONT) }
        let metrics = TestMetrics()
        let (outcomes, snapshot) = try await withCluster(
            replicas, metrics: metrics, configure: { $0.outlierDetection.consecutiveFaults = 3 }
        ) { cluster in
            try stopped.stop()
            var outcomes: [(Result<UpstreamResponse, UpstreamFailure>, Duration)] = []
            for _ in 0..<12 {
                let started = ContinuousClock.now
                let result = await cluster.result(
                    TestMethods.getVideo, TestMethods.getVideo(), timeout: .milliseconds(250))
                outcomes.append((result, .now - started))
            }
            return (outcomes, await cluster.snapshot())
        }
        var failed = 0
        for (result, elapsed) in outcomes {
            guard case .failure(let failure) = result else { continue }
            failed += 1
            #expect(failure.code == .deadlineExceeded)
            // At the budget less the deadline margin (2 ms) kept for the caller's own work, never later.
            #expect(elapsed >= .milliseconds(248) && elapsed < .milliseconds(400), "answered after \(elapsed)")
        }
        #expect(failed == 3, "three deadline faults eject the stopped endpoint")
        let lastFailure = outcomes.lastIndex { if case .failure = $0.0 { true } else { false } } ?? 0
        #expect(lastFailure <= 6, "the three faults come in the first calls, alternating with the healthy endpoint")
        for endpoint in snapshot.loops[0].endpoints {
            let isStopped = endpoint.address.hasSuffix(":\(stopped.port)")
            #expect(endpoint.ejected == isStopped, "\(endpoint.address) ejected: \(endpoint.ejected)")
            #expect(endpoint.ejections == (isStopped ? 1 : 0))
        }
        #expect(metrics.counterTotal(label: "upstream.ejections", dimensions: [("cluster", "test")]) == 1)
    }

    @Test func unavailableBackendOpensTheBreakerWhichProbesAndCloses() async throws {
        let replicas = try startReplicas(1)
        let metrics = TestMetrics()
        try await withCluster(
            replicas, metrics: metrics,
            configure: {
                $0.circuitBreaker.windowSize = 10
                $0.circuitBreaker.minimumCalls = 4
                $0.circuitBreaker.openDuration = .milliseconds(400)
                $0.circuitBreaker.halfOpenProbes = 2
                $0.outlierDetection.consecutiveFaults = 100
            }
        ) { cluster in
            for _ in 0..<4 {
                let result = await cluster.result(TestMethods.unary, TestMethods.echo(failCode: 14))
                guard case .failure(let failure) = result else {
                    Issue.record("the backend answers UNAVAILABLE")
                    return
                }
                #expect(failure.code == .unavailable)
                #expect(failure.failure.origin == .server)
                #expect(failure.attempts == 1, "a call that may have run is not retried for a non-idempotent method")
            }
            let started = ContinuousClock.now
            let rejected = await cluster.result(TestMethods.unary, TestMethods.echo())
            guard case .failure(let failure) = rejected else {
                Issue.record("an open breaker fails the call at once")
                return
            }
            #expect(failure.reason == .circuitOpen)
            #expect(failure.attempts == 0, "no backend call")
            #expect(failure.retryAfter != nil)
            // At once: attempts == 0 above is the proof of no backend call; the bound only says the
            // answer does not wait (room for a hop under AddressSanitizer on a loaded machine).
            #expect(ContinuousClock.now - started < .milliseconds(500))
            let opened = await cluster.snapshot().loops[0].breaker
            #expect(opened.description == "open")
            let state = try metrics.expectGauge("upstream.breaker.state", [("cluster", "test"), ("loop", "0")])
            #expect(state.lastValue == 2, "the gauge says open")
            try await Task.sleep(for: .milliseconds(450))
            for _ in 0..<2 {
                let probe = await cluster.result(TestMethods.unary, TestMethods.echo())
                guard case .success = probe else {
                    Issue.record("a probe to the recovered backend succeeds: \(probe)")
                    return
                }
            }
            let closed = await cluster.snapshot().loops[0].breaker
            #expect(closed == .closed)
            #expect(state.lastValue == 0, "the gauge says closed")
        }
        let cluster = ("cluster", "test")
        #expect(
            metrics.counterTotal(label: "upstream.rejections", dimensions: [cluster, ("reason", "circuit_open")]) == 1)
        #expect(
            metrics.counterTotal(label: "upstream.breaker.transitions", dimensions: [cluster, ("state", "open")]) == 1)
        #expect(
            metrics.counterTotal(label: "upstream.breaker.transitions", dimensions: [cluster, ("state", "closed")]) == 1
        )
        let failed = try metrics.expectTimer(
            "rpc.client.duration",
            [cluster, ("rpc.method", "/halo.testing.v1.TestService/Unary"), ("rpc.grpc.status_code", "UNAVAILABLE")])
        #expect(failed.values.count == 4, "rejected calls never went upstream")
    }

    /// INVALID_ARGUMENT, NOT_FOUND and UNAUTHENTICATED are answers about the request, not the
    /// backend: however many, no breaker opens and no endpoint is ejected. The same counters do
    /// react to server faults (the UNAVAILABLE calls at the end eject an endpoint).
    @Test func clientErrorsNeverOpenTheBreakerNorEject() async throws {
        let replicas = try startReplicas(2)
        let metrics = TestMetrics()
        let (clean, faulted) = try await withCluster(
            replicas, metrics: metrics,
            configure: {
                $0.circuitBreaker.windowSize = 10
                $0.circuitBreaker.minimumCalls = 4
                $0.endpointCircuitBreaker = $0.circuitBreaker
                $0.outlierDetection.consecutiveFaults = 2
            }
        ) { cluster in
            for code: Int32 in [3, 5, 16] {
                for _ in 0..<6 {
                    let result = await cluster.result(TestMethods.unary, TestMethods.echo(failCode: code))
                    guard case .failure(let failure) = result else {
                        Issue.record("the backend answers status \(code)")
                        continue
                    }
                    #expect(failure.code.rawValue == Int(code))
                    #expect(failure.reason == .callFailed)
                    #expect(failure.failure.origin == .server)
                }
            }
            let clean = await cluster.snapshot().loops[0]
            // Round-robin alternates: two UNAVAILABLE in a row at each endpoint; one may be ejected.
            for _ in 0..<4 { _ = await cluster.result(TestMethods.unary, TestMethods.echo(failCode: 14)) }
            return (clean, await cluster.snapshot().loops[0])
        }
        #expect(clean.breaker == .closed)
        for endpoint in clean.endpoints {
            #expect(!endpoint.ejected && endpoint.ejections == 0, "\(endpoint.address) was ejected")
            #expect(endpoint.breaker == .closed, "\(endpoint.address)'s own breaker")
        }
        #expect(faulted.endpoints.map(\.ejections).reduce(0, +) == 1, "server faults do eject")
        let cluster = ("cluster", "test")
        #expect(metrics.counterTotal(label: "upstream.ejections", dimensions: [cluster]) == 1)
        #expect(
            metrics.counterTotal(label: "upstream.breaker.transitions", dimensions: [cluster, ("state", "open")]) == 0)
        #expect(
            metrics.counterTotal(
                label: "upstream.endpoint.breaker.transitions", dimensions: [cluster, ("state", "open")])
                == 0)
    }

    /// Ejection moves calls to other endpoints; a cluster of one backend has none, so faults never
    /// eject its endpoint (it would refuse every call for the ejection time): its breaker is what
    /// takes over, and once the backend answers again so does the cluster.
    @Test func theOnlyEndpointIsNeverEjected() async throws {
        let replicas = try startReplicas(1)
        let metrics = TestMetrics()
        let (faulted, next) = try await withCluster(
            replicas, metrics: metrics,
            configure: {
                $0.healthCheck = nil
                $0.outlierDetection.consecutiveFaults = 2
            }
        ) { cluster in
            for _ in 0..<6 {
                let result = await cluster.result(TestMethods.unary, TestMethods.echo(failCode: 14))
                guard case .failure(let failure) = result, failure.reason == .callFailed else {
                    Issue.record("expected the backend's UNAVAILABLE: \(result)")
                    continue
                }
                #expect(failure.code == .unavailable)
            }
            return (await cluster.snapshot().loops[0], await cluster.result(TestMethods.unary, TestMethods.echo()))
        }
        #expect(faulted.endpoints.allSatisfy { !$0.ejected && $0.ejections == 0 })
        #expect(metrics.counterTotal(label: "upstream.ejections", dimensions: [("cluster", "test")]) == 0)
        guard case .success(let answer) = next else {
            Issue.record("the call after the faults was refused: \(next)")
            return
        }
        #expect(answer.attempts == 1)
    }

    @Test func cancellingTheCallerCancelsTheCall() async throws {
        let replicas = try startReplicas(1)
        try await withCluster(replicas) { cluster in
            let started = ContinuousClock.now
            let call = Task {
                await cluster.result(TestMethods.unary, TestMethods.echo(delayMs: 3000), timeout: .seconds(5))
            }
            try await Task.sleep(for: .milliseconds(100))
            call.cancel()
            guard case .failure(let failure) = await call.value else {
                Issue.record("a cancelled call does not succeed")
                return
            }
            #expect(failure.code == .cancelled)
            #expect(ContinuousClock.now - started < .seconds(1), "cancelled promptly, not at the handler's pace")
            let snapshot = await cluster.snapshot()
            #expect(snapshot.loops[0].activeRequests == 0)
        }
    }

    @Test func drainingReplicaLosesNoCall() async throws {
        let replicas = try startReplicas(2)
        let drained = replicas[0]
        let (records, health) = try await withCluster(replicas) { cluster in
            // Not idempotent: only calls the server surely never processed may be sent again.
            async let records = runLoad(cluster, workers: 6, duration: .milliseconds(1500)) { cluster in
                await cluster.result(TestMethods.unary, TestMethods.echo(), timeout: .seconds(3))
            }
            try await Task.sleep(for: .milliseconds(300))
            // SIGTERM: the replica reports NOT_SERVING on Watch, then shuts down with GOAWAY.
            drained.signal(SIGTERM)
            let all = await records
            let endpoint = await cluster.snapshot().loops[0].endpoints.first {
                $0.address.hasSuffix(":\(drained.port)")
            }
            return (all, endpoint?.health)
        }
        let failures = records.filter { if case .failure = $0.result { true } else { false } }
        #expect(failures.isEmpty, "\(failures.count) of \(records.count) calls failed: \(failures.prefix(3))")
        #expect(health == .unhealthy, "NOT_SERVING drained the endpoint")
    }
}

/// An instant set by one task and read by another.
final class ManagedInstant: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    func set(_ value: ContinuousClock.Instant) { self.instant.withLock { $0 = value } }
    var value: ContinuousClock.Instant { self.instant.withLock { $0 } }
}
