package import NIOCore

/// Turns a cluster endpoint into the addresses to connect to. A seam: DNS in production, a fixed
/// table in tests.
package protocol EndpointResolver: Sendable {
    /// All addresses of `endpoint`, completed on `eventLoop`.
    func resolve(
        _ endpoint: ClusterConfiguration.Endpoint, on eventLoop: any EventLoop
    ) -> EventLoopFuture<
        [SocketAddress]
    >
}
