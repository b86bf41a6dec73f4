import CallerIdentity
import Foundation
import HTTP2
import NIOCore
import NIOHTTP1
import RPC

/// gRPC-Web (`application/grpc-web`, `+proto`, `-text`) over HTTP/1.1 or HTTP/2, through the
/// REST pipeline: a POST to `/package.Service/Method` that no REST route matches, with a gRPC-Web
/// content type, is admitted by the service's pass-through auth policy (`grpc.services`), its body
/// read (bounded), and the call made as gRPC on the service's cluster (`GRPCWebCall`). CORS is left
/// to the edge-hardening issue.
extension GatewayPipeline {
    /// Admits a gRPC-Web call, or nil when the request is not one.
    func admitGRPCWeb(_ exchange: Exchange) -> Admission? {
        let request = exchange.request
        guard request.method == .POST, let contentType = request.headers.first(name: "content-type"),
            let format = GRPCWebFormat(contentType: contentType)
        else { return nil }
        let configuration = self.state.configuration
        guard let route = self.grpcRoute(path: String(request.path)) else {
            return self.reject(exchange, Self.grpcWebStatus(format, .unimplemented, "unknown service"))
        }
        let policy = route.policy
        guard policy == .required || policy == .optional else {
            return .readBody(limit: configuration.limits.maxBodyBytes)
        }
        switch self.authenticator.verdict(headers: request.headers, query: request.query) {
        case .anonymous:
            if policy == .required {
                return self.reject(
                    exchange, Self.grpcWebStatus(format, .unauthenticated, "authentication required"))
            }
        case .user(let identity):
            exchange.identity = identity
        case .refused(let reason):
            return self.reject(exchange, Self.grpcWebStatus(format, .unauthenticated, reason))
        case .unknownKey(let token):
            exchange.tokenAwaitingKeys = token
        }
        return .readBody(limit: configuration.limits.maxBodyBytes)
    }

    /// Calls the backend for an admitted gRPC-Web exchange.
    func callGRPCWeb(_ exchange: Exchange) {
        let request = exchange.request
        let configuration = self.state.configuration
        let format = request.headers.first(name: "content-type").flatMap(GRPCWebFormat.init(contentType:)) ?? .binary
        let path = String(request.path)
        guard let route = self.grpcRoute(path: path), let pool = self.pool(route.cluster) else {
            self.respond(exchange, Self.grpcWebStatus(format, .unavailable, "no backend for this service"))
            return
        }
        guard let body = format.decodeRequest(request.body) else {
            self.respond(exchange, Self.grpcWebStatus(format, .invalidArgument, "the body is not base64"))
            return
        }
        let policy = route.policy
        var headers: [Header] = [Header("content-type", "application/grpc"), Header("te", "trailers")]
        var timeout: Duration?
        for (name, value) in request.headers {
            let name = name.lowercased()
            if name == "grpc-timeout" {
                timeout = Timeout.parse(value)
            } else if Self.grpcWebForwards(name, policy: policy) {
                headers.append(Header(name, value))
            }
        }
        if policy == .required || policy == .optional, let userID = exchange.identity.userID {
            headers.append(Header(Identity.userIDKey, userID.lowercasedString))
            headers.append(Header(Identity.adultKey, exchange.identity.isAdult ? "true" : "false"))
            headers.append(Header(Identity.adminKey, exchange.identity.isAdmin ? "true" : "false"))
        }
        headers.append(Header("x-request-id", request.requestID))
        let budget = min(timeout ?? configuration.grpc.defaultTimeout, configuration.grpc.maxTimeout)
        let call = GRPCWebCall(pipeline: self, exchange: exchange, format: format)
        call.start(
            pool: pool, path: path, method: route.method, headers: headers,
            request: body, deadline: request.receivedAt + TimeAmount(budget))
    }

    /// A status answered here, before any backend call: a head-only (trailers-only) answer.
    static func grpcWebStatus(_ format: GRPCWebFormat, _ code: RPCError.Code, _ message: String) -> GatewayResponse {
        GatewayResponse(
            status: 200,
            headers: [
                ("content-type", format.contentType), ("grpc-status", String(code.rawValue)),
                ("grpc-message", PercentEncoding.encode(message)),
            ])
    }

    /// Browser request headers that are not call metadata, and what only a trusted caller may set.
    static func grpcWebForwards(_ name: String, policy: GatewayConfiguration.GRPCAuthPolicy) -> Bool {
        switch name {
        case "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te",
            "content-type", "content-length", "accept", "accept-encoding", "accept-language", "origin", "referer",
            "cookie", "user-agent", "x-user-agent", "x-grpc-web", "cache-control", "pragma", "x-request-id",
            "grpc-timeout", "grpc-encoding", "grpc-accept-encoding":
            return false
        case "authorization":
            return policy == .trusted
        default:
            if name.hasPrefix("sec-") || name.hasPrefix(":") { return false }
            return policy == .trusted || !name.hasPrefix("x-halo-")
        }
    }
}
