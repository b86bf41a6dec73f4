import RPC

/// Where a pass-through `:path` goes, resolved once per path on each loop: its service, the
/// cluster serving it, the service's auth policy, and the method metrics name it by. A call
/// looks it up by the path it already has; per call, the gateway no longer makes a `String` of
/// the service name for three dictionary lookups (`GatewayPipeline.grpcRoute(path:)`). A class:
/// a call holds it with one reference count, not one per String inside.
final class GRPCRoute {
    let service: String
    let cluster: String
    let policy: GatewayConfiguration.GRPCAuthPolicy
    let method: MethodDescriptor

    init(service: String, cluster: String, policy: GatewayConfiguration.GRPCAuthPolicy, method: MethodDescriptor) {
        self.service = service
        self.cluster = cluster
        self.policy = policy
        self.method = method
    }
}
