package import Upstream

extension GatewayConfiguration {
    /// How JSON looks on the wire (the transcoder's presentation options).
    package struct JSONPresentation: Sendable, Decodable {
        /// Output field names: `proto` (snake_case, as declared) or `json` (lowerCamel).
        package var fieldNames = "proto"
        /// Emit fields at their default values (zeros, empty strings and lists).
        package var emitDefaults = true
        /// int64 and uint64 inside ±(2^53−1) as numbers, not strings.
        package var int64AsNumber = true
        /// Enum values in output: `short` (lower-case without the common prefix: `views`) or `proto`.
        package var enumNames = "short"

        package init() {}

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["field_names", "emit_defaults", "int64_as_number", "enum_names"])
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            var value = JSONPresentation()
            value.fieldNames =
                try container.decodeIfPresent(String.self, forKey: AnyCodingKey("field_names")) ?? "proto"
            value.emitDefaults = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("emit_defaults")) ?? true
            value.int64AsNumber =
                try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("int64_as_number")) ?? true
            value.enumNames = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("enum_names")) ?? "short"
            guard ["proto", "json"].contains(value.fieldNames) else {
                throw ConfigurationError(
                    key: (decoder.codingPath + [AnyCodingKey("field_names")]).dottedPath, "proto or json")
            }
            guard ["short", "proto"].contains(value.enumNames) else {
                throw ConfigurationError(
                    key: (decoder.codingPath + [AnyCodingKey("enum_names")]).dottedPath, "short or proto")
            }
            self = value
        }
    }

    /// Request limits at the edge.
    package struct Limits: Sendable, Decodable {
        package var maxBodyBytes = 1 << 20
        package var maxTargetLength = 4096
        package var maxHeaderCount = 100
        package var maxHeaderBytes = 32 * 1024

        package init() {}

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys([
                "max_body_bytes", "max_target_length", "max_header_count", "max_header_bytes",
            ])
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            var value = Limits()
            for (name, path) in [
                ("max_body_bytes", \Limits.maxBodyBytes), ("max_target_length", \Limits.maxTargetLength),
                ("max_header_count", \Limits.maxHeaderCount), ("max_header_bytes", \Limits.maxHeaderBytes),
            ] {
                guard let number = try container.decodeIfPresent(Int.self, forKey: AnyCodingKey(name)) else { continue }
                guard number > 0 else {
                    throw ConfigurationError(
                        key: (decoder.codingPath + [AnyCodingKey(name)]).dottedPath, "must be positive")
                }
                value[keyPath: path] = number
            }
            self = value
        }

        /// The edge's share of these limits.
        package var edge: EdgeLimits {
            var limits = EdgeLimits()
            limits.maxTargetLength = self.maxTargetLength
            limits.maxHeaderCount = self.maxHeaderCount
            limits.maxHeaderBytes = self.maxHeaderBytes
            limits.maxDiscardedBodyBytes = self.maxBodyBytes
            return limits
        }
    }

    /// One backend cluster.
    package struct ClusterSettings: Sendable, Decodable {
        /// `host:port` each; a DNS name stands for all its addresses.
        package var endpoints: [String]
        package var connectionsPerEndpoint = 1
        package var connectTimeout: Duration = .seconds(2)
        /// Whether a healthy endpoint is needed for `/ready`.
        package var required = true
        /// The service name asked in grpc.health.v1 ("" is the whole server); nil turns active
        /// health checks off.
        package var healthCheckService: String? = ""
        /// Taken off each attempt's deadline before it is sent upstream as `grpc-timeout`, for the
        /// gateway's own work on the answer.
        package var deadlineMargin: Duration = .milliseconds(2)
        /// A breaker per endpoint as well as the cluster's: catches an endpoint failing every other
        /// call, which outlier ejection (consecutive faults) never sees.
        package var endpointCircuitBreaker = false
        package var loadBalancing = Self.upstreamDefaults.loadBalancing
        /// Streams per connection; calls past them wait (up to `maxPendingRequests`).
        package var maxConcurrentStreams = Self.upstreamDefaults.maxConcurrentStreams
        /// A connection without a call for this long closes until the next call; nil: never.
        package var idleTimeout = Self.upstreamDefaults.idleTimeout
        package var maxPendingRequests = Self.upstreamDefaults.maxPendingRequests
        package var maxActiveRequests = Self.upstreamDefaults.maxActiveRequests
        package var circuitBreaker = Self.upstreamDefaults.circuitBreaker
        package var outlierDetection = Self.upstreamDefaults.outlierDetection
        package var retry = Self.upstreamDefaults.retry

        private static let upstreamDefaults = ClusterConfiguration(name: "", endpoints: [])

        package init(endpoints: [String]) { self.endpoints = endpoints }

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(
                Self.tuningKeys.union([
                    "endpoints", "connections_per_endpoint", "connect_timeout", "required", "health_check_service",
                    "health_check", "deadline_margin", "endpoint_circuit_breaker",
                ]))
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            self.endpoints = try container.decode([String].self, forKey: AnyCodingKey("endpoints"))
            guard !self.endpoints.isEmpty else {
                throw ConfigurationError(key: (decoder.codingPath + [AnyCodingKey("endpoints")]).dottedPath, "empty")
            }
            for (index, endpoint) in self.endpoints.enumerated() where Listener.parse(endpoint) == nil {
                throw ConfigurationError(
                    key: (decoder.codingPath + [AnyCodingKey("endpoints")]).dottedPath + "[\(index)]",
                    "'\(endpoint)' is not host:port")
            }
            self.connectionsPerEndpoint =
                try container.decodeIfPresent(Int.self, forKey: AnyCodingKey("connections_per_endpoint")) ?? 1
            if let timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey("connect_timeout"))
            {
                self.connectTimeout = timeout.duration
            }
            self.required = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("required")) ?? true
            if let margin = try container.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey("deadline_margin"))
            {
                self.deadlineMargin = margin.duration
            }
            self.endpointCircuitBreaker =
                try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("endpoint_circuit_breaker")) ?? false
            if try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("health_check")) == false {
                self.healthCheckService = nil
            } else {
                self.healthCheckService =
                    try container.decodeIfPresent(String.self, forKey: AnyCodingKey("health_check_service")) ?? ""
            }
            try self.decodeTuning(from: container)
        }
    }

    /// Enrich a route's response with another call, made in parallel, declared here and not in
    /// code: `GET /api/v1/videos/{id}` adds GetCounts under `engagement`.
    package struct Composition: Sendable, Decodable {
        /// The method whose answer is enriched (`package.Service.Method`).
        package var route: String
        /// The method called beside it.
        package var call: String
        /// Request field of `call` <- request field of `route` (for one item), or, with
        /// `for_each`, <- a field of each element.
        package var request: [String: String]
        /// A repeated field of the route's response: one batch call for all its elements.
        package var forEach: String?
        /// The field of `call`'s response holding a map keyed by the element's `key` (batch).
        package var resultMap: String?
        /// The element field the batch result is keyed by.
        package var key: String?
        /// Where the result goes in the response (an added member of the JSON object).
        package var attachAs: String
        /// Own budget; past it the member is `null` and a `Warning` header says why.
        package var timeout: Duration = .milliseconds(300)

        package init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys([
                "route", "call", "request", "for_each", "result_map", "key", "attach_as", "timeout",
            ])
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            self.route = try container.decode(String.self, forKey: AnyCodingKey("route"))
            self.call = try container.decode(String.self, forKey: AnyCodingKey("call"))
            self.request = try container.decode([String: String].self, forKey: AnyCodingKey("request"))
            self.forEach = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("for_each"))
            self.resultMap = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("result_map"))
            self.key = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("key"))
            self.attachAs = try container.decode(String.self, forKey: AnyCodingKey("attach_as"))
            if let timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey("timeout")) {
                self.timeout = timeout.duration
            }
            if self.forEach != nil, self.resultMap == nil || self.key == nil {
                throw ConfigurationError(key: decoder.codingPath.dottedPath, "for_each needs result_map and key")
            }
        }
    }
}
