import NIOCore

/// One address a cluster connects to, with the configured `host:port` it was resolved from: the
/// `:authority` its calls send (each endpoint its own name, as gRPC sends its target's).
struct ResolvedAddress: Sendable, Hashable {
    var address: SocketAddress
    var authority: String
}
