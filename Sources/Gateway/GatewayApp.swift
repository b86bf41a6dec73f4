package import Logging
package import NIOCore
package import NIOPosix
import Synchronization
package import Upstream

/// The gateway process: its upstream clusters, the REST edge and the admin listener, one pipeline
/// per event loop. `start` brings it up, `reload` swaps configuration and descriptors atomically
/// per loop (a bad one is refused and the old one keeps serving), `shutdownGracefully` drains.
package final class GatewayApp: Sendable {
    private struct Running: Sendable {
        var edge: EdgeServer
        var admin: EdgeServer
        var clusters: [String: Cluster]
        var pipelines: [NIOLoopBound<GatewayPipeline>]
    }

    package let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let ownsGroup: Bool
    // The two locks below are taken at start, reload, shutdown and by the admin listener: never
    // on a request's path (each loop's pipeline holds its own copy of the state).
    private let running = Mutex<Running?>(nil)
    /// The state serving now (admin reads it; reload replaces it).
    private let current: Mutex<GatewayState>

    /// Reads configuration and descriptors again (SIGHUP, `POST /admin/reload`).
    private let reloadSource: (@Sendable () throws(ConfigurationError) -> GatewayState)?
    /// Renders `/metrics` (Prometheus text), when the process has a registry.
    package let renderMetrics: (@Sendable () -> String)?

    /// A gateway for `state`, on `group` (a new one with a loop per core when nil).
    package init(
        state: GatewayState, group: MultiThreadedEventLoopGroup? = nil, logger: Logger,
        reloadSource: (@Sendable () throws(ConfigurationError) -> GatewayState)? = nil,
        renderMetrics: (@Sendable () -> String)? = nil
    ) {
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: state.configuration.eventLoopCount)
        self.ownsGroup = group == nil
        self.logger = logger
        self.current = Mutex(state)
        self.reloadSource = reloadSource
        self.renderMetrics = renderMetrics
    }

    /// Re-reads configuration and descriptors and swaps them in; a bad one is refused (the old
    /// one keeps serving) with the key named.
    package func reloadFromSource() async throws(ConfigurationError) {
        guard let reloadSource else { throw ConfigurationError(key: "", "this gateway has no configuration source") }
        let state = try reloadSource()
        try await self.reload(state)
    }

    package var state: GatewayState { self.current.withLock { $0 } }

    /// Starts the clusters (resolving and connecting eagerly), then the listeners; answers the
    /// bound REST and admin addresses.
    package func start() async throws -> (rest: SocketAddress, admin: SocketAddress) {
        let state = self.state
        let clusters = try await self.makeClusters(state.configuration)
        var pipelines: [ObjectIdentifier: NIOLoopBound<GatewayPipeline>] = [:]
        for loop in self.group.makeIterator() {
            let logger = self.logger
            pipelines[ObjectIdentifier(loop)] = try await loop.submit {
                let pools = clusters.mapValues { $0.pool(on: loop) }
                let required = state.configuration.clusters.filter(\.value.required).map(\.key)
                let pipeline = GatewayPipeline(
                    eventLoop: loop, state: state, pools: pools, logger: logger,
                    isReady: { required.allSatisfy { pools[$0]?.hasUsableEndpoint ?? false } })
                pipeline.refreshKeys()
                return NIOLoopBound(pipeline, eventLoop: loop)
            }.get()
        }
        let perLoop = pipelines
        let everyPipeline = Array(pipelines.values)
        for pipeline in everyPipeline {
            try await pipeline.eventLoop.submit {
                pipeline.value.shareFetchedKeys { keys in
                    for other in everyPipeline where other.eventLoop !== pipeline.eventLoop {
                        other.eventLoop.execute { other.value.adoptKeys(keys) }
                    }
                }
            }.get()
        }
        // The admin listener first: once the REST port answers (`/ready` included), admin and
        // metrics answer too.
        var adminConfiguration = EdgeServer.Configuration()
        adminConfiguration.host = state.configuration.admin.host
        adminConfiguration.port = state.configuration.admin.port
        adminConfiguration.drainTimeout = .seconds(1)
        let admin: EdgeServer
        do {
            admin = try await EdgeServer.start(configuration: adminConfiguration, group: self.group) { loop in
                EdgeServer.LoopContext(pipeline: AdminPipeline(app: self, eventLoop: loop))
            }
        } catch {
            for cluster in clusters.values { await cluster.shutDown() }
            throw error
        }
        var edgeConfiguration = EdgeServer.Configuration()
        edgeConfiguration.host = state.configuration.listen.host
        edgeConfiguration.port = state.configuration.listen.port
        edgeConfiguration.limits = state.configuration.limits.edge
        edgeConfiguration.drainTimeout = state.configuration.drainTimeout
        edgeConfiguration.metricsName = "rest"
        let edge: EdgeServer
        do {
            edge = try await EdgeServer.start(configuration: edgeConfiguration, group: self.group) { loop in
                EdgeServer.LoopContext(pipeline: perLoop[ObjectIdentifier(loop)]!.value)
            }
        } catch {
            // Nothing half-started stays behind: the admin port closes and the pools go.
            await admin.shutdownGracefully()
            for cluster in clusters.values { await cluster.shutDown() }
            throw error
        }
        self.running.withLock {
            $0 = Running(edge: edge, admin: admin, clusters: clusters, pipelines: Array(perLoop.values))
        }
        self.logger.info(
            "gateway started",
            metadata: [
                "rest": "\(edge.localAddress.map { "\($0)" } ?? "-")",
                "admin": "\(admin.localAddress.map { "\($0)" } ?? "-")",
            ])
        return (edge.localAddress!, admin.localAddress!)
    }

    /// Replaces configuration and descriptors, which `GatewayState` has already validated. Clusters
    /// are kept by name; a cluster added or changed in the new configuration is refused (it needs
    /// a restart) so the swap never drops a connection pool under traffic.
    package func reload(_ state: GatewayState) async throws(ConfigurationError) {
        guard let running = self.running.withLock({ $0 }) else { throw ConfigurationError(key: "", "not running") }
        if self.ownsGroup, state.configuration.eventLoopCount != running.pipelines.count {
            throw ConfigurationError(key: "event_loops", "a changed number of event loops needs a restart")
        }
        for (name, settings) in state.configuration.clusters {
            guard let cluster = running.clusters[name] else {
                throw ConfigurationError(key: "clusters.\(name)", "a new cluster needs a restart")
            }
            let endpoints = settings.endpoints.compactMap(ClusterConfiguration.Endpoint.init)
            guard endpoints == cluster.configuration.endpoints else {
                throw ConfigurationError(key: "clusters.\(name).endpoints", "changed endpoints need a restart")
            }
        }
        self.current.withLock { $0 = state }
        for pipeline in running.pipelines {
            // Each loop swaps on its own thread, between requests: a request sees one version.
            try? await pipeline.eventLoop.submit {
                let pools = running.clusters.mapValues { $0.pool(on: pipeline.eventLoop) }
                pipeline.value.replace(state: state, pools: pools)
            }.get()
        }
        self.logger.info("configuration reloaded", metadata: ["routes": "\(state.bindings.count)"])
    }

    /// Cluster snapshots for the admin listener.
    package func clusterSnapshots() async -> [ClusterSnapshot] {
        guard let clusters = self.running.withLock({ $0?.clusters }) else { return [] }
        var snapshots: [ClusterSnapshot] = []
        for name in clusters.keys.sorted() { snapshots.append(await clusters[name]!.snapshot()) }
        return snapshots
    }

    /// Stops accepting, drains requests in flight (up to the drain timeout), then closes the
    /// clusters' connections.
    package func shutdownGracefully() async {
        guard
            let running = self.running.withLock({ running in
                defer { running = nil }; return running
            })
        else { return }
        // Consumed here, so the listeners are released while the loops still run: a listener's
        // quiescing helper completes a promise on its loop when it goes, and a loop already shut
        // down refuses that (an error NIO will turn into a crash).
        await Self.stop(consume running)
        if self.ownsGroup { try? await self.group.shutdownGracefully() }
        self.logger.info("gateway stopped")
    }

    private static func stop(_ running: consuming Running) async {
        await running.edge.shutdownGracefully()
        await running.admin.shutdownGracefully()
        for cluster in running.clusters.values { await cluster.shutDown() }
    }

    private func makeClusters(_ configuration: GatewayConfiguration) async throws -> [String: Cluster] {
        var clusters: [String: Cluster] = [:]
        for (name, settings) in configuration.clusters {
            let started = Cluster(
                configuration: settings.clusterConfiguration(name: name), group: self.group, logger: self.logger)
            try await started.start()
            clusters[name] = started
        }
        return clusters
    }
}
