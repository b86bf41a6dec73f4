package import CoreMetrics
package import Logging
package import NIOCore
import NIOPosix
package import RPC
import Synchronization

/// A named group of backend endpoints that any caller (gateway, service) sends gRPC calls to:
/// one `LoopPool` per event loop of `group`, endpoints resolved (and re-resolved) by `resolver`.
///
/// On the hot path, take the pool of the loop you are on (`pool(on:)`) and call it there: no
/// lock, no hop. `unary` from any thread hops once to a loop of the group (for services).
package final class Cluster: Sendable {
    package let configuration: ClusterConfiguration
    private let group: any EventLoopGroup
    private let resolver: any EndpointResolver
    private let logger: Logger
    /// Built once in `init`, read-only after: finding a loop's pool takes no lock.
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool>]
    /// The group's loops, one pool each (a caller on a loop uses `pool(on:)` of its own loop).
    package let loops: [any EventLoop]
    /// Taken at start and shutdown only, never by a call.
    private let resolveTask = Mutex<RepeatedTask?>(nil)

    package init(
        configuration: ClusterConfiguration, group: any EventLoopGroup, resolver: any EndpointResolver = DNSResolver(),
        logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.group = group
        self.resolver = resolver
        var logger = logger
        logger[metadataKey: "cluster"] = "\(configuration.name)"
        self.logger = logger
        var pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool>] = [:]
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() {
            loops.append(loop)
            pools[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(
                LoopPool(
                    eventLoop: loop, configuration: configuration, logger: logger,
                    metrics: UpstreamMetrics(
                        cluster: configuration.name, loop: loops.count - 1, factory: metricsFactory)),
                eventLoop: loop)
        }
        self.pools = pools
        self.loops = loops
    }

    /// The pool of `eventLoop`, which must be a loop of the group; use it only on that loop.
    package func pool(on eventLoop: any EventLoop) -> LoopPool {
        guard let box = self.pools[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("\(eventLoop) is not a loop of cluster \(self.configuration.name)'s group")
        }
        return box.value
    }

    /// Resolves the endpoints, connects every loop's pool to them (eagerly), and re-resolves every
    /// `resolveInterval`. Completes when the first resolution has been applied.
    package func start() async throws {
        let first = self.loops[0]
        let addresses = try await self.resolveAll(on: first).get()
        guard !addresses.isEmpty else {
            throw ResolutionError(host: self.configuration.name, message: "no endpoint resolved")
        }
        await self.apply(addresses)
        let interval = TimeAmount(self.configuration.resolveInterval)
        let task = first.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { _ in
            self.resolveAll(on: first).flatMap { addresses in
                guard !addresses.isEmpty else { return first.makeSucceededVoidFuture() }
                return self.applyFuture(addresses)
            }.recover { error in
                // Keep the addresses we have: a resolver outage must not drop a working cluster.
                self.logger.warning("resolution failed", metadata: ["error": "\(error)"])
            }
        }
        self.resolveTask.withLock { $0 = task }
    }

    /// A unary call from any thread: one hop to a loop of the group (the current one, for a task
    /// running on a loop of the group: no thread switch). Event-loop code calls `pool(on:)` there
    /// instead. Cancelling the task cancels the call.
    package func unary(
        _ method: MethodDescriptor, request: RequestMessage, metadata: Metadata = Metadata(),
        timeout: Duration? = nil
    ) async throws(UpstreamFailure) -> UpstreamResponse {
        let loop: any EventLoop
        let pool: NIOLoopBoundBox<LoopPool>
        if let current = MultiThreadedEventLoopGroup.currentEventLoop,
            let currentPool = self.pools[ObjectIdentifier(current)]
        {
            (loop, pool) = (current, currentPool)
        } else {
            loop = self.group.next()
            pool = self.pools[ObjectIdentifier(loop)]!
        }
        let promise = loop.makePromise(of: UpstreamResult.self)
        let handle = NIOLoopBoundBox.makeEmptyBox(valueType: UpstreamCallHandle.self, eventLoop: loop)
        let result: UpstreamResult
        do {
            result = try await withTaskCancellationHandler {
                loop.execute {
                    var request = request
                    handle.value = pool.value.unary(method, request: &request, metadata: metadata, timeout: timeout) {
                        promise.succeed($0)
                    }
                }
                return try await promise.futureResult.get()
            } onCancel: {
                loop.execute { handle.value?.cancel() }
            }
        } catch {
            // The promise only ever succeeds with a Result; this is a loop that went away.
            throw .rejected(.noEndpoint, "the cluster's event loop is shut down")
        }
        return try result.get()
    }

    /// The state of every loop's pool, for the admin listener.
    package func snapshot() async -> ClusterSnapshot {
        var loops: [ClusterSnapshot.Loop] = []
        for loop in self.loops {
            let box = self.pools[ObjectIdentifier(loop)]!
            if let snapshot = try? await loop.submit({ box.value.snapshot() }).get() { loops.append(snapshot) }
        }
        return ClusterSnapshot(name: self.configuration.name, loops: loops)
    }

    /// Stops re-resolving and drains every connection (calls in flight finish; waiting ones fail).
    /// Every started cluster must be shut down: until then its pools and connections hold each other.
    package func shutDown() async {
        let task = self.resolveTask.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        for loop in self.loops {
            let box = self.pools[ObjectIdentifier(loop)]!
            try? await loop.submit { box.value.shutDown() }.get()
        }
    }

    /// Every configured endpoint's addresses, each with the endpoint's own `host:port` as its
    /// authority; an address two names share is kept once, under the first.
    private func resolveAll(on loop: any EventLoop) -> EventLoopFuture<[ResolvedAddress]> {
        let endpoints = self.configuration.endpoints
        let lookups = endpoints.map { self.resolver.resolve($0, on: loop) }
        return EventLoopFuture.whenAllSucceed(lookups, on: loop).map { lists in
            var resolved: [ResolvedAddress] = []
            for (endpoint, addresses) in zip(endpoints, lists) {
                for address in addresses where !resolved.contains(where: { $0.address == address }) {
                    resolved.append(ResolvedAddress(address: address, authority: endpoint.description))
                }
            }
            return resolved
        }
    }

    private func apply(_ addresses: [ResolvedAddress]) async {
        try? await self.applyFuture(addresses).get()
    }

    private func applyFuture(_ addresses: [ResolvedAddress]) -> EventLoopFuture<Void> {
        let updates = self.loops.map { loop in
            let box = self.pools[ObjectIdentifier(loop)]!
            return loop.submit { box.value.update(addresses: addresses) }
        }
        return EventLoopFuture.andAllComplete(updates, on: self.loops[0])
    }
}
