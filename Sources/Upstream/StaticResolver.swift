package import NIOCore

/// Fixed addresses per endpoint (tests, or addresses known up front); unknown names fail.
package struct StaticResolver: EndpointResolver {
    package var table: [ClusterConfiguration.Endpoint: [SocketAddress]]

    package init(_ table: [ClusterConfiguration.Endpoint: [SocketAddress]]) { self.table = table }

    package func resolve(
        _ endpoint: ClusterConfiguration.Endpoint, on eventLoop: any EventLoop
    ) -> EventLoopFuture<[SocketAddress]> {
        guard let addresses = self.table[endpoint] else {
            return eventLoop.makeFailedFuture(ResolutionError(host: endpoint.host, message: "not in the table"))
        }
        return eventLoop.makeSucceededFuture(addresses)
    }
}
