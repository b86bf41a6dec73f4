import RPC

/// Where a pass-through `:path` goes, resolved once per path on each loop: its service, the
/// cluster serving it, the service's auth policy, and the method metrics name it by. A call
/// looks it up by the path it already has; per call, the gateway no longer makes a `String` of
/// the service name for three dictionary lookups (`GatewayPipeline.grpcRoute(path:)`).
struct GRPCRoute {
    var service: String
    var cluster: String
    var policy: GatewayConfiguration.GRPCAuthPolicy
    var method: MethodDescriptor
}
