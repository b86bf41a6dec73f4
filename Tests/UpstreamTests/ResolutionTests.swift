import Foundation
import NIOCore
import Synchronization
import Testing
import Upstream

/// A name whose addresses change while calls run: the pool follows without dropping a call.
@Suite(.serialized) struct ResolutionTests {
    /// A resolver whose one name's addresses a test can change.
    final class ChangingResolver: EndpointResolver {
        private let addresses: Mutex<[SocketAddress]>

        init(_ addresses: [SocketAddress]) { self.addresses = Mutex(addresses) }

        func set(_ addresses: [SocketAddress]) { self.addresses.withLock { $0 = addresses } }

        func resolve(
            _ endpoint: ClusterConfiguration.Endpoint, on eventLoop: any EventLoop
        ) -> EventLoopFuture<[SocketAddress]> {
            eventLoop.makeSucceededFuture(self.addresses.withLock { $0 })
        }
    }

    @Test func eachEndpointSendsItsOwnNameAsAuthority() async throws {
        let replicas = try startReplicas(2)
        let alpha = ClusterConfiguration.Endpoint(host: "alpha.internal", port: 50052)
        let beta = ClusterConfiguration.Endpoint(host: "beta.internal", port: 50052)
        let resolver = StaticResolver([
            alpha: [try SocketAddress(ipAddress: "127.0.0.1", port: replicas[0].port)],
            beta: [try SocketAddress(ipAddress: "127.0.0.1", port: replicas[1].port)],
        ])
        let endpoints = try await withCluster(
            replicas, resolver: resolver, configure: { $0.endpoints = [alpha, beta] }
        ) {
            cluster in
            _ = try await cluster.unary(TestMethods.getVideo, request: TestMethods.getVideo(), timeout: .seconds(5))
            return await cluster.snapshot().loops[0].endpoints
        }
        let authorities = Dictionary(uniqueKeysWithValues: endpoints.map { ($0.address, $0.authority) })
        #expect(authorities.count == 2)
        for (replica, name) in zip(replicas, ["alpha.internal:50052", "beta.internal:50052"]) {
            let authority = authorities.first { $0.key.hasSuffix(":\(replica.port)") }?.value
            #expect(authority == name, "the address resolved from \(name) sends it")
        }
    }

    @Test func reResolutionMovesTrafficWithoutDroppingCalls() async throws {
        let replicas = try startReplicas(2)
        let (old, new) = (replicas[0], replicas[1])
        let resolver = ChangingResolver([try SocketAddress(ipAddress: "127.0.0.1", port: old.port)])
        let switchedAt = ManagedInstant()
        let (warmUp, records) = try await withCluster(
            [old], resolver: resolver,
            configure: {
                $0.endpoints = [.init(host: "backend.internal", port: 50052)]
                $0.resolveInterval = .milliseconds(100)
            }
        ) { cluster in
            // The old address serves first: one call answered there before any load, so the switch
            // below is measured from a ready connection, not from connecting.
            let warmUp = await cluster.result(TestMethods.unary, TestMethods.echo(delayMs: 0), timeout: .seconds(5))
            async let records = runLoad(cluster, workers: 4, duration: .milliseconds(1200)) { cluster in
                // Calls that take a while, so some are in flight on the old address when it goes.
                await cluster.result(TestMethods.unary, TestMethods.echo(delayMs: 20), timeout: .seconds(2))
            }
            try await Task.sleep(for: .milliseconds(300))
            resolver.set([try SocketAddress(ipAddress: "127.0.0.1", port: new.port)])
            switchedAt.set(.now)
            return (warmUp, await records)
        }
        let failures = records.filter { if case .failure = $0.result { true } else { false } }
        #expect(failures.isEmpty, "\(failures.count) of \(records.count) calls failed: \(failures.prefix(3))")
        let ports = records.compactMap { record -> (Int, ContinuousClock.Instant)? in
            guard case .success(let response) = record.result else { return nil }
            return (response.endpoint.port!, record.ended)
        }
        let firstPort = try? warmUp.get().endpoint.port
        #expect(firstPort == old.port, "the old address served before the change")
        let late = ports.filter { $0.1 > switchedAt.value + .milliseconds(300) }
        #expect(!late.isEmpty)
        #expect(late.allSatisfy { $0.0 == new.port }, "after the next resolution only the new address serves")
    }
}
