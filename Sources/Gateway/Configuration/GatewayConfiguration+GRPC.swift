extension GatewayConfiguration {
    /// Who may call a service through gRPC pass-through, and what the backend learns of the caller.
    package enum GRPCAuthPolicy: String, Sendable, Decodable {
        /// A valid bearer token is required (UNAUTHENTICATED otherwise); its identity goes upstream
        /// as `x-halo-*` metadata, and any `x-halo-*` the caller sent is dropped.
        case required
        /// A token is verified when sent (UNAUTHENTICATED if invalid); without one the caller is
        /// anonymous. Inbound `x-halo-*` is dropped.
        case optional
        /// Tokens are not looked at (nor forwarded); inbound `x-halo-*` is dropped.
        case none
        /// The caller is trusted (an internal service on a trusted network): its metadata, identity
        /// and `authorization` included, passes through untouched.
        case trusted
    }

    /// gRPC callers on the gateway's listener (`content-type: application/grpc…`, HTTP/2): each
    /// call is forwarded by its service name to the cluster `services` names, through the same
    /// pools, breakers and limits as REST calls.
    package struct GRPCPassThrough: Sendable, Decodable {
        /// Policy of services not listed in `services`.
        package var defaultAuth = GRPCAuthPolicy.optional
        /// The budget of a call that sends no `grpc-timeout`.
        package var defaultTimeout: Duration = .seconds(30)
        /// A caller's `grpc-timeout` above this is cut to it: every upstream call has a bounded deadline.
        package var maxTimeout: Duration = .seconds(300)
        /// Per service (`package.Service`): its auth policy.
        package var services: [String: GRPCAuthPolicy] = [:]

        package init() {}

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["default_auth", "default_timeout", "max_timeout", "services"])
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            var value = GRPCPassThrough()
            value.defaultAuth =
                try container.decodeIfPresent(GRPCAuthPolicy.self, forKey: AnyCodingKey("default_auth"))
                ?? value.defaultAuth
            if let timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey("default_timeout"))
            {
                value.defaultTimeout = timeout.duration
            }
            if let timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey("max_timeout")) {
                value.maxTimeout = timeout.duration
            }
            guard value.defaultTimeout > .zero, value.maxTimeout > .zero else {
                throw ConfigurationError(key: decoder.codingPath.dottedPath, "timeouts must be positive")
            }
            var services: [String: GRPCAuthPolicy] = [:]
            if let entries = try container.decodeIfPresent(
                [String: ServiceEntry].self, forKey: AnyCodingKey("services"))
            {
                for (name, entry) in entries { services[name] = entry.auth }
            }
            value.services = services
            self = value
        }

        /// The auth policy of `service`.
        package func auth(for service: String) -> GRPCAuthPolicy {
            self.services[service] ?? self.defaultAuth
        }

        private struct ServiceEntry: Decodable {
            var auth: GRPCAuthPolicy

            init(from decoder: any Decoder) throws {
                try decoder.refuseUnknownKeys(["auth"])
                let container = try decoder.container(keyedBy: AnyCodingKey.self)
                self.auth = try container.decode(GRPCAuthPolicy.self, forKey: AnyCodingKey("auth"))
            }
        }
    }
}
