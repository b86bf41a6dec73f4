import NIOCore

/// Everything the gateway is told, from one YAML (or JSON) file: listeners, clusters, which
/// cluster serves each gRPC service, per-route policy, authentication, JSON presentation, limits
/// and composition. Keys are snake_case; an unknown key, a wrong type or a bad value fails at
/// start with the key named. Every key is documented in the README.
///
/// Pointed at another descriptor set and clusters, the gateway fronts any gRPC service: nothing
/// here names Halo's messages except the default file (`halo-gateway.yaml`).
package struct GatewayConfiguration: Sendable, Decodable {
    package struct Listener: Sendable, Decodable, Hashable {
        package var host: String
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["host", "port"])
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            self.host = try container.decode(String.self, forKey: AnyCodingKey("host"))
            self.port = try container.decode(Int.self, forKey: AnyCodingKey("port"))
            guard (0...65535).contains(self.port) else {
                throw ConfigurationError(key: (decoder.codingPath + [AnyCodingKey("port")]).dottedPath, "not a port")
            }
        }

        /// Parses `host:port` (or `[v6]:port`), as environment overrides write it.
        package static func parse(_ text: String) -> Listener? {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (0...65535).contains(port)
            else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
            return Listener(host: host, port: port)
        }
    }

    /// Who may call a route.
    package enum AuthPolicy: String, Sendable, Decodable {
        /// A valid bearer token is required (401 otherwise).
        case required
        /// A token is verified when sent (401 if invalid); without one the caller is anonymous.
        case optional
        /// Tokens are not looked at.
        case none
    }

    /// Policy for one method (`package.Service.Method`), or the defaults for all.
    package struct RoutePolicy: Sendable, Decodable {
        package var auth: AuthPolicy?
        /// Success status (201 for creations, 204 for answers without a body).
        package var status: Int?
        /// The whole budget of the request, upstream calls included.
        package var timeout: Duration?
        /// Whether the method may be retried after a server fault; nil: as its proto's
        /// `idempotency_level` says (IDEMPOTENT or NO_SIDE_EFFECTS).
        package var idempotent: Bool?

        package init(auth: AuthPolicy? = nil, status: Int? = nil, timeout: Duration? = nil, idempotent: Bool? = nil) {
            self.auth = auth
            self.status = status
            self.timeout = timeout
            self.idempotent = idempotent
        }

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["auth", "status", "timeout", "idempotent"])
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            self.auth = try container.decodeIfPresent(AuthPolicy.self, forKey: AnyCodingKey("auth"))
            self.status = try container.decodeIfPresent(Int.self, forKey: AnyCodingKey("status"))
            self.timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey("timeout"))?.duration
            self.idempotent = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("idempotent"))
            if let status = self.status, !(200...299).contains(status) {
                throw ConfigurationError(
                    key: (decoder.codingPath + [AnyCodingKey("status")]).dottedPath, "must be a 2xx status")
            }
        }
    }

    /// Verification of bearer tokens at the edge.
    package struct Authentication: Sendable, Decodable {
        package var issuer = "halo-auth"
        package var audience = "halo"
        /// The method answering the JWKS (its response is JSON with a `keys` array, or a message
        /// whose JSON form has one).
        package var jwksMethod = "halo.auth.v1.AuthService.GetJWKS"
        /// Verified tokens kept, so a hot token costs a lookup.
        package var cacheSize = 10_000
        /// Unknown `kid`s trigger at most one JWKS fetch per this interval.
        package var refetchInterval: Duration = .seconds(10)
        /// Clock skew tolerated on `exp` and `nbf` (RFC 8725: at most 60 s).
        package var leeway: Duration = .seconds(30)

        package init() {}

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys([
                "issuer", "audience", "jwks_method", "cache_size", "refetch_interval", "leeway",
            ])
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            var value = Authentication()
            value.issuer = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("issuer")) ?? value.issuer
            value.audience =
                try container.decodeIfPresent(String.self, forKey: AnyCodingKey("audience")) ?? value.audience
            value.jwksMethod =
                try container.decodeIfPresent(String.self, forKey: AnyCodingKey("jwks_method")) ?? value.jwksMethod
            value.cacheSize =
                try container.decodeIfPresent(Int.self, forKey: AnyCodingKey("cache_size")) ?? value.cacheSize
            if let interval = try container.decodeIfPresent(
                ConfigDuration.self, forKey: AnyCodingKey("refetch_interval"))
            {
                value.refetchInterval = interval.duration
            }
            if let leeway = try container.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey("leeway")) {
                guard leeway.duration <= .seconds(60) else {
                    throw ConfigurationError(
                        key: (decoder.codingPath + [AnyCodingKey("leeway")]).dottedPath, "at most 60s (RFC 8725)")
                }
                value.leeway = leeway.duration
            }
            self = value
        }
    }

    package var listen = Listener(host: "0.0.0.0", port: 8080)
    package var admin = Listener(host: "127.0.0.1", port: 9901)
    /// A FileDescriptorSet to serve; nil is the committed `halo.protoset`.
    package var descriptorSet: String?
    package var json = JSONPresentation()
    package var limits = Limits()
    package var clusters: [String: ClusterSettings] = [:]
    /// gRPC service (`package.Service`) -> the cluster that serves it.
    package var services: [String: String] = [:]
    /// Defaults for every route; `routes` overrides them per method.
    package var routeDefaults = RoutePolicy(auth: .optional, status: 200, timeout: .seconds(5))
    package var routes: [String: RoutePolicy] = [:]
    package var authentication = Authentication()
    /// Request headers passed upstream as metadata (lowercase names); all others are dropped.
    package var forwardedHeaders: [String] = []
    package var composition: [Composition] = []
    /// How long SIGTERM waits for requests in flight.
    package var drainTimeout: Duration = .seconds(10)
    /// gRPC callers passed through to the clusters (`GatewayConfiguration+GRPC.swift`).
    package var grpc = GRPCPassThrough()
    /// Event loops (threads) serving connections, each with its own pipeline and upstream pools;
    /// nil: one per core. Fewer than the cores leaves them to other processes on a shared host.
    package var eventLoops: Int?

    package init() {}

    /// More threads than this is a typo, not a deployment.
    static let maximumEventLoops = 256

    /// The event loops to start: `eventLoops`, or one per core.
    package var eventLoopCount: Int { self.eventLoops ?? System.coreCount }

    static let keys: Set<String> = [
        "listen", "admin", "descriptor_set", "json", "limits", "clusters", "services", "route_defaults", "routes",
        "authentication", "forwarded_headers", "composition", "drain_timeout", "grpc", "event_loops",
    ]

    package init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(Self.keys)
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(name) }
        var value = GatewayConfiguration()
        value.listen = try container.decodeIfPresent(Listener.self, forKey: key("listen")) ?? value.listen
        value.admin = try container.decodeIfPresent(Listener.self, forKey: key("admin")) ?? value.admin
        value.descriptorSet = try container.decodeIfPresent(String.self, forKey: key("descriptor_set"))
        value.json = try container.decodeIfPresent(JSONPresentation.self, forKey: key("json")) ?? value.json
        value.limits = try container.decodeIfPresent(Limits.self, forKey: key("limits")) ?? value.limits
        value.clusters = try container.decodeIfPresent([String: ClusterSettings].self, forKey: key("clusters")) ?? [:]
        value.services = try container.decodeIfPresent([String: String].self, forKey: key("services")) ?? [:]
        if let defaults = try container.decodeIfPresent(RoutePolicy.self, forKey: key("route_defaults")) {
            value.routeDefaults.auth = defaults.auth ?? value.routeDefaults.auth
            value.routeDefaults.status = defaults.status ?? value.routeDefaults.status
            value.routeDefaults.timeout = defaults.timeout ?? value.routeDefaults.timeout
            // Declaring every method safe to repeat would retry writes after a server fault.
            guard defaults.idempotent == nil else {
                throw ConfigurationError(key: "route_defaults.idempotent", "set it per method, under routes")
            }
        }
        value.routes = try container.decodeIfPresent([String: RoutePolicy].self, forKey: key("routes")) ?? [:]
        value.authentication =
            try container.decodeIfPresent(Authentication.self, forKey: key("authentication")) ?? value.authentication
        value.forwardedHeaders =
            (try container.decodeIfPresent([String].self, forKey: key("forwarded_headers")) ?? []).map {
                $0.lowercased()
            }
        value.composition = try container.decodeIfPresent([Composition].self, forKey: key("composition")) ?? []
        if let drain = try container.decodeIfPresent(ConfigDuration.self, forKey: key("drain_timeout")) {
            value.drainTimeout = drain.duration
        }
        value.grpc = try container.decodeIfPresent(GRPCPassThrough.self, forKey: key("grpc")) ?? value.grpc
        if let loops = try container.decodeIfPresent(Int.self, forKey: key("event_loops")) {
            guard (1...Self.maximumEventLoops).contains(loops) else {
                throw ConfigurationError(key: "event_loops", "must be 1 to \(Self.maximumEventLoops)")
            }
            value.eventLoops = loops
        }
        self = value
        try self.validate()
    }

    /// Cross-key checks: every service names a known cluster.
    func validate() throws {
        for (service, cluster) in self.services where self.clusters[cluster] == nil {
            throw ConfigurationError(key: "services.\(service)", "names cluster '\(cluster)', which is not configured")
        }
        for service in self.grpc.services.keys where self.services[service] == nil {
            throw ConfigurationError(key: "grpc.services.\(service)", "no cluster serves it (add it to services)")
        }
    }

    /// The policy of `method` (`package.Service.Method`): its own keys over the defaults.
    package func policy(for method: String) -> RoutePolicy {
        let own = self.routes[method]
        return RoutePolicy(
            auth: own?.auth ?? self.routeDefaults.auth ?? .optional,
            status: own?.status ?? self.routeDefaults.status ?? 200,
            timeout: own?.timeout ?? self.routeDefaults.timeout ?? .seconds(5),
            idempotent: own?.idempotent)
    }
}
