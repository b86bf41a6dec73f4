import CallerIdentity
import Foundation
package import Logging
package import NIOCore
import NIOHTTP1
import RPC
package import Tokens
import Transcoding
package import Upstream

/// The request pipeline of one event loop: route match -> authenticate -> bounded body ->
/// transcode -> upstream call -> transcode back -> answer -> access log. It runs entirely on its
/// loop: the edge calls it there, upstream answers arrive there, nothing takes a lock or hops.
package final class GatewayPipeline: RequestPipeline {
    package let eventLoop: any EventLoop
    package private(set) var state: GatewayState
    private var pools: [String: LoopPool]
    let authenticator: EdgeAuthenticator
    var jwks: JWKSRefresher?
    /// Pass-through routes by `:path` seen on this loop since the last reload (bounded:
    /// `GatewayPipeline+GRPC.swift`).
    var grpcRoutes: [String: GRPCRoute] = [:]
    let accessLog: Logger
    private let metrics = RequestMetrics()
    private let allocator = ByteBufferAllocator()
    /// Reused output of the transcoder (capacity kept between requests).
    private var scratch: [UInt8] = []
    /// Answer bodies: the edge copies an HTTP/1.1 body into its own buffer, so the storage is
    /// free again for the next answer.
    private let answerBodies = ResponseOutputBuffer()
    /// Readiness: every required cluster has a healthy endpoint (`/ready`).
    private let isReady: () -> Bool

    package init(
        eventLoop: any EventLoop, state: GatewayState, pools: [String: LoopPool], logger: Logger,
        isReady: @escaping () -> Bool
    ) {
        self.eventLoop = eventLoop
        self.state = state
        self.pools = pools
        self.isReady = isReady
        var accessLog = logger
        accessLog[metadataKey: "log"] = "access"
        self.accessLog = accessLog
        let authentication = state.configuration.authentication
        self.authenticator = EdgeAuthenticator(
            configuration: TokenVerifier.Configuration(
                issuer: authentication.issuer, audience: authentication.audience, leeway: authentication.leeway),
            keys: TokenKeySet([:]), capacity: authentication.cacheSize)
        if let jwks = state.jwks, let pool = pools[jwks.cluster] {
            self.jwks = JWKSRefresher(
                method: jwks.method, outputIndex: jwks.outputIndex, pool: pool, transcoder: state.transcoder,
                minimumInterval: authentication.refetchInterval, logger: logger)
        }
    }

    /// Swaps in a new state (reload): requests already admitted finish with the binding they
    /// matched, since bindings are copied into the exchange's call.
    package func replace(state: GatewayState, pools: [String: LoopPool]) {
        self.state = state
        self.pools = pools
        // Clusters and auth policies may have changed.
        self.grpcRoutes = [:]
    }

    /// Fetches the JWKS now (at start; later fetches happen on unknown keys).
    package func refreshKeys() {
        self.jwks?.refresh(authenticator: self.authenticator) { _ in }
    }

    /// Hands every key set this loop fetches to `share` (the app passes them to the other
    /// loops), so a rotated key fetched once is known everywhere, even if the JWKS then goes down.
    package func shareFetchedKeys(_ share: @escaping (TokenKeySet) -> Void) {
        self.jwks?.onFetched = share
    }

    /// Keys another loop fetched.
    package func adoptKeys(_ keys: TokenKeySet) {
        assert(self.eventLoop.inEventLoop, "the pipeline runs on its own loop")
        self.authenticator.replaceKeys(keys)
    }

    // MARK: RequestPipeline

    package func admit(_ exchange: Exchange) -> Admission {
        assert(self.eventLoop.inEventLoop, "the pipeline runs on its own loop")
        let request = exchange.request
        if let builtin = self.builtin(request) { return .respond(builtin) }  // not logged: probes

        let lookup: RouteTable.Lookup
        do {
            lookup = try self.state.routes.lookup(method: request.method.rawValue, path: request.path)
        } catch {
            return self.reject(
                exchange,
                self.problem(
                    exchange,
                    Problem(
                        code: .invalidArgument, detail: error.message, status: error.kind == .uriTooLong ? 414 : 400)))
        }
        switch lookup {
        case .notFound:
            // gRPC-Web calls (`/package.Service/Method`) match no REST route.
            if let admission = self.admitGRPCWeb(exchange) { return admission }
            return self.reject(
                exchange, self.problem(exchange, Problem(code: .notFound, detail: "no route for this path")))
        case .methodNotAllowed(let allowed):
            return self.reject(
                exchange,
                self.problem(
                    exchange,
                    Problem(
                        code: .unimplemented, detail: "this path does not take \(request.method.rawValue)",
                        headers: [("allow", allowed.joined(separator: ", "))], status: 405)))
        case .matched(let route, let variables):
            exchange.bindingIndex = route.declarationOrder
            exchange.variables = variables
        }
        let binding = self.state.bindings[exchange.bindingIndex]

        if binding.policy.auth != GatewayConfiguration.AuthPolicy.none {
            switch self.authenticator.verdict(headers: request.headers, query: request.query) {
            case .anonymous:
                if binding.policy.auth == .required {
                    return self.reject(
                        exchange,
                        self.problem(exchange, Problem(code: .unauthenticated, detail: "authentication required")))
                }
            case .user(let identity):
                exchange.identity = identity
            case .refused(let reason):
                return self.reject(exchange, self.problem(exchange, Self.invalidToken(reason)))
            case .unknownKey(let token):
                exchange.tokenAwaitingKeys = token
            }
        } else if EdgeAuthenticator.queryCarriesToken(request.query) {
            return self.reject(
                exchange,
                self.problem(exchange, Self.invalidToken("tokens are accepted only in the Authorization header")))
        }

        if let refusal = binding.method.kind == .serverStreaming
            ? Self.streamRefusal(request) : Self.mediaTypeRefusal(request, takesBody: binding.route.body != .none)
        {
            return self.reject(exchange, self.problem(exchange, refusal))
        }
        return .readBody(limit: self.state.configuration.limits.maxBodyBytes)
    }

    package func handle(_ exchange: Exchange) {
        assert(self.eventLoop.inEventLoop, "the pipeline runs on its own loop")
        if let token = exchange.tokenAwaitingKeys {
            exchange.tokenAwaitingKeys = nil
            self.awaitKeys(for: exchange, token: token)
            return
        }
        self.call(exchange)
    }

    // MARK: Stages

    /// An unknown `kid`: one rate-limited JWKS refetch on this loop, then the token is judged again.
    private func awaitKeys(for exchange: Exchange, token: Substring) {
        guard let jwks = self.jwks else {
            self.refuseToken(exchange, "token key id is not known")
            return
        }
        jwks.refresh(authenticator: self.authenticator) { fetched in
            guard !exchange.isFinished else { return }
            switch self.authenticator.verify(token) {
            case .user(let identity):
                exchange.identity = identity
                self.call(exchange)
            case .unknownKey where self.authenticator.keysUnavailable(fetched: fetched):
                self.refuseToken(exchange, EdgeAuthenticator.keysUnavailableDetail, keysUnavailable: true)
            case .unknownKey:
                self.refuseToken(exchange, "token key id is not known")
            case .refused(let reason):
                self.refuseToken(exchange, reason)
            case .anonymous:
                self.refuseToken(exchange, "no token")
            }
        }
    }

    /// Refuses a token judged after a refetch, in the caller's protocol: a problem for a REST
    /// route (401 invalid_token, or 503 when keys cannot be had), a status for a gRPC-Web call
    /// (UNAUTHENTICATED, or UNAVAILABLE), never a problem body to a gRPC client.
    private func refuseToken(_ exchange: Exchange, _ detail: String, keysUnavailable: Bool = false) {
        // Only gRPC-Web calls are admitted without a route (`GatewayPipeline+GRPCWeb.swift`).
        if exchange.bindingIndex < 0 {
            let format =
                exchange.request.headers.first(name: "content-type").flatMap(GRPCWebFormat.init(contentType:))
                ?? .binary
            var response = Self.grpcWebStatus(format, keysUnavailable ? .unavailable : .unauthenticated, detail)
            if keysUnavailable { response.headers.append(("retry-after", "1")) }
            self.respond(exchange, response)
            return
        }
        let problem =
            keysUnavailable
            ? Problem(code: .unavailable, detail: detail, headers: [("retry-after", "1")])
            : Self.invalidToken(detail)
        self.respond(exchange, self.problem(exchange, problem))
    }

    /// Transcodes the request, calls upstream within the route's budget, answers.
    private func call(_ exchange: Exchange) {
        // Only gRPC-Web calls are admitted without a route (`GatewayPipeline+GRPCWeb.swift`).
        guard exchange.bindingIndex >= 0 else {
            self.callGRPCWeb(exchange)
            return
        }
        let state = self.state
        let binding = state.bindings[exchange.bindingIndex]
        guard let pool = self.pools[binding.cluster] else {
            self.respond(
                exchange, self.problem(exchange, Problem(code: .unavailable, detail: "no backend for this route")))
            return
        }
        var message = RequestMessage(allocator: self.allocator, capacity: 256)
        self.scratch.removeAll(keepingCapacity: true)
        let request = exchange.request
        let transcoded = request.body.withUnsafeReadableBytes { body in
            Result { () throws(TranscodingError) in
                try state.transcoder.requestToWire(
                    route: binding.route, variables: exchange.variables, query: request.query, body: body,
                    into: &self.scratch)
            }
        }
        if case .failure(let error) = transcoded {
            self.respond(
                exchange,
                self.problem(
                    exchange,
                    Problem(
                        code: .invalidArgument, detail: error.message,
                        errors: error.pointer.isEmpty
                            ? [] : [Problem.FieldError(pointer: error.pointer, detail: error.message)])))
            return
        }
        message.buffer.writeBytes(self.scratch)

        var metadata = Metadata()
        metadata.reserveCapacity(4 + state.configuration.forwardedHeaders.count)
        exchange.identity.write(to: &metadata)
        metadata.add("x-request-id", request.requestID)
        for name in state.configuration.forwardedHeaders where HeaderPolicy.mayForward(name) {
            for value in request.headers[canonicalForm: name] { metadata.add(name, String(value)) }
        }
        let deadline = request.receivedAt + TimeAmount(binding.policy.timeout ?? .seconds(5))
        if binding.method.kind == .serverStreaming {
            self.callStreaming(
                exchange, binding: binding, state: state, pool: pool, request: message.framed(), metadata: metadata,
                deadline: deadline)
            return
        }
        guard binding.compositions.isEmpty else {
            self.callComposed(
                exchange, binding: binding, state: state, pool: pool, request: message.framed(), metadata: metadata,
                deadline: deadline)
            return
        }
        let handle = pool.unary(binding.method, framedRequest: message.framed(), metadata: metadata, deadline: deadline)
        {
            result in
            self.answer(exchange, binding: binding, transcoder: state.transcoder, result: result)
        }
        exchange.onCancel = { handle.cancel() }
    }

    func answer(
        _ exchange: Exchange, binding: GatewayState.Binding, transcoder: Transcoder, result: UpstreamResult
    ) {
        guard !exchange.isFinished else { return }
        switch result {
        case .success(let response):
            let status = binding.policy.status ?? 200
            if status == 204 {
                self.respond(exchange, GatewayResponse(status: 204))
                return
            }
            self.scratch.removeAll(keepingCapacity: true)
            let encoded = response.message.withUnsafeReadableBytes { wire in
                Result { () throws(TranscodingError) in
                    try transcoder.responseToJSON(route: binding.route, wire: wire, into: &self.scratch)
                }
            }
            guard case .success = encoded else {
                // The backend's bytes do not parse as its own response type: its fault, not the client's.
                self.respond(
                    exchange,
                    self.problem(
                        exchange,
                        Problem(
                            code: .internal, detail: "the backend's answer could not be read", status: 502)))
                return
            }
            var body = self.answerBodies.take(capacity: self.scratch.count)
            body.writeBytes(self.scratch)
            self.respond(exchange, .json(status, body))
            self.answerBodies.keep(body)
        case .failure(let failure):
            var problem = UpstreamProblem.problem(for: failure)
            if failure.failure.origin == .server, failure.failure.error.code == .invalidArgument,
                let details = failure.failure.error.metadata.bytes(FieldViolationErrors.metadataKey)
            {
                problem.errors = FieldViolationErrors.errors(
                    details: details, route: binding.route, transcoder: transcoder, body: exchange.request.body)
            }
            self.respond(exchange, self.problem(exchange, problem))
        }
    }

    /// An answer given from `admit`, before the body: counted and logged like every other.
    func reject(_ exchange: Exchange, _ response: GatewayResponse) -> Admission {
        self.record(exchange, response)
        return .respond(response)
    }

    /// This loop's pool of `cluster`.
    func pool(_ cluster: String) -> LoopPool? { self.pools[cluster] }

    // MARK: Answers

    func respond(_ exchange: Exchange, _ response: GatewayResponse) {
        exchange.respond(response)
        self.record(exchange, response)
    }

    /// Metrics and the access log line of an answered request.
    func record(_ exchange: Exchange, _ response: GatewayResponse, bytesOut: Int? = nil) {
        let request = exchange.request
        let elapsed = (self.eventLoop.now - request.receivedAt).nanoseconds
        let index = exchange.bindingIndex
        self.metrics.record(
            routeIndex: index, routeName: index >= 0 ? self.state.bindings[index].name : "-", status: response.status,
            nanoseconds: elapsed)
        self.accessLog.info(
            "request",
            metadata: [
                "request_id": "\(request.requestID)", "method": "\(request.method.rawValue)",
                "path": "\(request.path)", "status": "\(response.status)",
                "route": "\(exchange.bindingIndex >= 0 ? self.state.bindings[exchange.bindingIndex].name : "-")",
                "duration_us": "\(elapsed / 1000)",
                "bytes_in": "\(request.body.readableBytes)", "bytes_out": "\(bytesOut ?? response.body.readableBytes)",
                "user": "\(exchange.identity.userID?.lowercasedString ?? "-")",
            ])
    }

    private func problem(_ exchange: Exchange, _ problem: Problem) -> GatewayResponse {
        problem.response(requestID: exchange.request.requestID, allocator: self.allocator)
    }

    static func invalidToken(_ reason: String) -> Problem {
        Problem(
            code: .unauthenticated, detail: reason,
            headers: [("www-authenticate", "Bearer error=\"invalid_token\", error_description=\"\(reason)\"")])
    }

    /// JSON routes take JSON: a body in another media type is 415, an `Accept` that rules JSON
    /// out is 406 (RELIABILITY.md case 2).
    static func mediaTypeRefusal(_ request: GatewayRequest, takesBody: Bool) -> Problem? {
        if let accept = request.headers.first(name: "accept"), !Self.acceptsJSON(accept) {
            return Problem(code: .invalidArgument, detail: "answers are application/json", status: 406)
        }
        let hasBody =
            (request.headers.first(name: "content-length").flatMap(Int.init) ?? 0) > 0
            || request.headers.contains(name: "transfer-encoding")
        guard takesBody, hasBody else { return nil }
        guard let type = request.headers.first(name: "content-type"), Self.isJSON(type) else {
            return Problem(code: .invalidArgument, detail: "the request body must be application/json", status: 415)
        }
        return nil
    }

    static func isJSON(_ contentType: String) -> Bool {
        let parts = contentType.lowercased().split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first == "application/json" else { return false }
        return parts.dropFirst().allSatisfy { $0 == "charset=utf-8" || $0 == "charset=\"utf-8\"" }
    }

    static func acceptsJSON(_ accept: String) -> Bool {
        accept.lowercased().split(separator: ",").contains { range in
            let type = range.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
            return type == "*/*" || type == "application/*" || type == "application/json"
                || type == "application/problem+json"
        }
    }

    // MARK: Built-in routes

    private func builtin(_ request: GatewayRequest) -> GatewayResponse? {
        guard request.method == .GET else { return nil }
        switch request.path {
        case "/health":
            return .json(200, ByteBuffer(staticString: "{\"status\":\"ok\"}"))
        case "/openapi.json":
            var body = self.allocator.buffer(capacity: self.state.openAPI.count)
            body.writeBytes(self.state.openAPI)
            return .json(200, body)
        case "/ready":
            return self.isReady()
                ? .json(200, ByteBuffer(staticString: "{\"status\":\"ready\"}"))
                : .json(503, ByteBuffer(staticString: "{\"status\":\"not ready\"}"))
        default:
            return nil
        }
    }
}
