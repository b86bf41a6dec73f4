import HTTP2
import Logging
import NIOCore
import RPC

/// Where the HTTP/2 edge takes a stream that is a gRPC call rather than a REST request.
protocol GRPCStreamSource: AnyObject {
    /// The handler of a new stream whose `content-type` is gRPC.
    func grpcStreamHandler(requestIDs: RequestIDGenerator) -> any StreamHandler
}

extension GatewayPipeline: GRPCStreamSource {
    /// Pass-through methods named in metrics per loop; calls to methods beyond it are counted
    /// under their service's `*` (callers choose paths: the label set stays bounded).
    static let maxGRPCMethods = 1024

    func grpcStreamHandler(requestIDs: RequestIDGenerator) -> any StreamHandler {
        GRPCPassThroughStream(pipeline: self, requestIDs: requestIDs)
    }

    /// The route of a pass-through `:path` (gRPC or gRPC-Web), made once per path and kept until
    /// the next reload; nil when the path is not `/package.Service/Method` or names a service no
    /// cluster serves (those are not kept: callers choose paths).
    func grpcRoute(path: String) -> GRPCRoute? {
        if let route = self.grpcRoutes[path] { return route }
        let configuration = self.state.configuration
        guard let service = GRPCPassThroughStream.service(of: path), let cluster = configuration.services[service]
        else { return nil }
        let policy = configuration.grpc.auth(for: service)
        guard self.grpcRoutes.count < Self.maxGRPCMethods else {
            // Past the bound, calls are named by their service's `*` in metrics, and not kept.
            return GRPCRoute(
                service: service, cluster: cluster, policy: policy,
                method: MethodDescriptor(service: service, method: "*"))
        }
        let name = path[path.index(after: path.lastIndex(of: "/")!)...]
        let method = MethodDescriptor(service: service, method: String(name), kind: .bidirectionalStreaming)
        let route = GRPCRoute(service: service, cluster: cluster, policy: policy, method: method)
        self.grpcRoutes[path] = route
        return route
    }

    /// The access log line of a pass-through call (the REST lines' fields, with the gRPC status).
    func logGRPCCall(path: String, requestID: String, code: RPCError.Code, receivedAt: NIODeadline, userID: String?) {
        let elapsed = (self.eventLoop.now - receivedAt).nanoseconds
        self.accessLog.info(
            "grpc call",
            metadata: [
                "request_id": "\(requestID)", "path": "\(path)", "grpc_status": "\(code.rawValue)",
                "duration_us": "\(elapsed / 1000)", "user": "\(userID ?? "-")",
            ])
    }

    /// Whether a request `content-type` is gRPC over HTTP/2 (`application/grpc`, `+proto`,
    /// `+json`, with parameters), and not gRPC-Web.
    static func isGRPC(contentType: String) -> Bool {
        guard contentType.hasPrefix("application/grpc") else { return false }
        let rest = contentType.utf8.dropFirst(16)
        guard let next = rest.first else { return true }
        return next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
    }
}
