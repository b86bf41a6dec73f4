package import RPC

/// A gRPC service a ``ServiceRunner`` serves: its fully qualified name (the health service
/// reports it) and its methods.
package protocol RPCService: Sendable {
    /// Fully qualified name, e.g. `halo.video.v1.VideoService`.
    var serviceName: String { get }
    /// Adds the service's methods to `router`.
    func register(in router: inout Router)
}
