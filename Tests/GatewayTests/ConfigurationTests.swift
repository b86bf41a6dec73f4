import Gateway
import NIOCore
import Protos
import RPC
import Testing
import Upstream

@Suite("Gateway configuration: keys, values and overrides")
struct ConfigurationTests {
    static let minimal = """
        clusters:
          video: {endpoints: ["127.0.0.1:50052"]}
        services:
          halo.video.v1.VideoService: video
        """

    @Test func theBundledDefaultIsValid() throws {
        let configuration = try GatewayConfiguration.haloDefault()
        #expect(configuration.listen.port == 8080)
        #expect(configuration.admin.host == "127.0.0.1" && configuration.admin.port == 9901)
        #expect(configuration.services.count == 3)
        #expect(configuration.policy(for: "halo.video.v1.VideoService.CreateVideo").status == 201)
        #expect(configuration.policy(for: "halo.video.v1.VideoService.GetVideo").auth == .optional)
        #expect(configuration.policy(for: "halo.auth.v1.AuthService.GetUser").auth == .required)
    }

    @Test func aMinimalFileTakesTheDefaults() throws {
        let configuration = try GatewayConfiguration.parse(yaml: Self.minimal)
        #expect(configuration.listen == .init(host: "0.0.0.0", port: 8080))
        #expect(configuration.limits.maxBodyBytes == 1 << 20)
        #expect(configuration.policy(for: "x.Y.Z").timeout == .seconds(5))
    }

    @Test(arguments: [
        ("listen: {host: a, port: 1, hots: b}", "listen.hots"),
        ("limit: {}", "limit"),
        ("clusters: {video: {endpoints: [\"nope\"]}}", "clusters.video.endpoints[0]"),
        ("clusters: {video: {endpoints: []}}", "clusters.video.endpoints"),
        ("route_defaults: {timeout: fast}", "route_defaults.timeout"),
        ("routes: {a.B.C: {status: 404}}", "routes.a.B.C.status"),
        ("listen: {host: a, port: 70000}", "listen.port"),
        ("listen: {host: a, port: eighty}", "listen.port"),
        ("authentication: {leeway: 2m}", "authentication.leeway"),
        ("services: {a.B: missing}", "services.a.B"),
        ("json: {enum_names: LOUD}", "json.enum_names"),
        ("event_loops: 0", "event_loops"),
        ("event_loops: 257", "event_loops"),
        ("event_loops: two", "event_loops"),
        ("route_defaults: {idempotent: true}", "route_defaults.idempotent"),
        ("routes: {a.B.C: {idempotent: sometimes}}", "routes.a.B.C.idempotent"),
        ("clusters: {v: {endpoints: [\"a:1\"], load_balancing: random}}", "clusters.v.load_balancing"),
        ("clusters: {v: {endpoints: [\"a:1\"], max_concurrent_streams: 0}}", "clusters.v.max_concurrent_streams"),
        ("clusters: {v: {endpoints: [\"a:1\"], idle_timeout: soon}}", "clusters.v.idle_timeout"),
        (
            "clusters: {v: {endpoints: [\"a:1\"], circuit_breaker: {failure_rate: 1.5}}}",
            "clusters.v.circuit_breaker.failure_rate"
        ),
        (
            "clusters: {v: {endpoints: [\"a:1\"], circuit_breaker: {window: 10, minimum_calls: 20}}}",
            "clusters.v.circuit_breaker.minimum_calls"
        ),
        (
            "clusters: {v: {endpoints: [\"a:1\"], circuit_breaker: {treshold: 1}}}",
            "clusters.v.circuit_breaker.treshold"
        ),
        (
            "clusters: {v: {endpoints: [\"a:1\"], outlier_detection: {consecutive_faults: 0}}}",
            "clusters.v.outlier_detection.consecutive_faults"
        ),
        (
            "clusters: {v: {endpoints: [\"a:1\"], outlier_detection: {base_ejection_time: 5m, max_ejection_time: 1m}}}",
            "clusters.v.outlier_detection.max_ejection_time"
        ),
        ("clusters: {v: {endpoints: [\"a:1\"], retry: {max_attempts: 0}}}", "clusters.v.retry.max_attempts"),
        (
            "clusters: {v: {endpoints: [\"a:1\"], retry: {retryable_codes: [UNAVAILABLE, DEADLINE_EXCEEDED]}}}",
            "clusters.v.retry.retryable_codes[1]"
        ),
        (
            "clusters: {v: {endpoints: [\"a:1\"], retry: {retryable_codes: [unavailable]}}}",
            "clusters.v.retry.retryable_codes[0]"
        ),
        ("clusters: {v: {endpoints: [\"a:1\"], retry: {budget_share: -0.1}}}", "clusters.v.retry.budget_share"),
        (
            "clusters: {v: {endpoints: [\"a:1\"], retry: {initial_backoff: 2s, max_backoff: 1s}}}",
            "clusters.v.retry.max_backoff"
        ),
        (
            "clusters: {v: {endpoints: [\"a:1\"], retry: {backoff_multiplier: 0.5}}}",
            "clusters.v.retry.backoff_multiplier"
        ),
    ])
    func aBadKeyOrValueIsNamed(yaml: String, key: String) {
        let error = #expect(throws: ConfigurationError.self) { try GatewayConfiguration.parse(yaml: yaml) }
        #expect(error?.key == key, "\(error.map { "\($0)" } ?? "no error")")
    }

    @Test func clusterResilienceKeys() throws {
        let configuration = try GatewayConfiguration.parse(
            yaml: """
                clusters:
                  video: {endpoints: ["127.0.0.1:1"], deadline_margin: 5ms, endpoint_circuit_breaker: true}
                  auth: {endpoints: ["127.0.0.1:2"]}
                """)
        #expect(configuration.clusters["video"]?.deadlineMargin == .milliseconds(5))
        #expect(configuration.clusters["video"]?.endpointCircuitBreaker == true)
        #expect(configuration.clusters["auth"]?.deadlineMargin == .milliseconds(2))
        #expect(configuration.clusters["auth"]?.endpointCircuitBreaker == false)
    }

    /// Every balancing, limit, breaker, ejection and retry key reaches the Upstream configuration;
    /// a cluster without them gets the layer's defaults.
    @Test func clusterTuningKeysReachTheUpstreamLayer() throws {
        let configuration = try GatewayConfiguration.parse(
            yaml: """
                clusters:
                  video:
                    endpoints: ["127.0.0.1:1"]
                    endpoint_circuit_breaker: true
                    load_balancing: least_request
                    max_concurrent_streams: 50
                    idle_timeout: 5m
                    max_pending_requests: 10
                    max_active_requests: 200
                    circuit_breaker: {failure_rate: 0.25, slow_call_rate: 0.8, slow_call_duration: 2s, window: 40,
                                      minimum_calls: 10, open_duration: 15s, half_open_probes: 2}
                    outlier_detection: {consecutive_faults: 3, base_ejection_time: 10s, max_ejection_time: 1m,
                                        max_ejected_share: 0.3}
                    retry: {max_attempts: 4, initial_backoff: 10ms, max_backoff: 1s, backoff_multiplier: 3,
                            retryable_codes: [UNAVAILABLE, RESOURCE_EXHAUSTED], budget_share: 0.1,
                            min_retry_concurrency: 5}
                  auth: {endpoints: ["127.0.0.1:2"]}
                """)
        let video = try #require(configuration.clusters["video"]).clusterConfiguration(name: "video")
        #expect(video.loadBalancing == .leastRequest)
        #expect(video.maxConcurrentStreams == 50)
        #expect(video.idleTimeout == .seconds(300))
        #expect(video.maxPendingRequests == 10 && video.maxActiveRequests == 200)
        var breaker = CircuitBreaker.Configuration()
        breaker.failureRateThreshold = 0.25
        breaker.slowCallRateThreshold = 0.8
        breaker.slowCallDuration = .seconds(2)
        breaker.windowSize = 40
        breaker.minimumCalls = 10
        breaker.openDuration = .seconds(15)
        breaker.halfOpenProbes = 2
        #expect(video.circuitBreaker == breaker)
        #expect(video.endpointCircuitBreaker == breaker, "an endpoint's breaker takes the cluster's thresholds")
        var outlier = OutlierDetector.Configuration()
        outlier.consecutiveFaults = 3
        outlier.baseEjectionTime = .seconds(10)
        outlier.maxEjectionTime = .seconds(60)
        outlier.maxEjectedShare = 0.3
        #expect(video.outlierDetection == outlier)
        var retry = RetryPolicy()
        retry.maxAttempts = 4
        retry.initialBackoff = .milliseconds(10)
        retry.maxBackoff = .seconds(1)
        retry.backoffMultiplier = 3
        retry.retryableCodes = [.unavailable, .resourceExhausted]
        retry.budgetShare = 0.1
        retry.minRetryConcurrency = 5
        #expect(video.retry == retry)

        let auth = try #require(configuration.clusters["auth"]).clusterConfiguration(name: "auth")
        let defaults = ClusterConfiguration(name: "auth", endpoints: [.init(host: "127.0.0.1", port: 2)])
        #expect(auth.loadBalancing == defaults.loadBalancing)
        #expect(auth.maxConcurrentStreams == defaults.maxConcurrentStreams && auth.idleTimeout == nil)
        #expect(auth.circuitBreaker == defaults.circuitBreaker && auth.endpointCircuitBreaker == nil)
        #expect(auth.outlierDetection == defaults.outlierDetection && auth.retry == defaults.retry)
        #expect(auth.endpoints == defaults.endpoints && auth.healthCheck == defaults.healthCheck)
    }

    /// `idempotent` under a method overrides its proto's idempotency level, both ways, for its
    /// REST route and where composition calls it; a method without it keeps the proto's.
    @Test func idempotencyIsTheProtosUnlessAMethodSaysOtherwise() throws {
        var configuration = try GatewayConfiguration.haloDefault()
        let getVideo = "halo.video.v1.VideoService.GetVideo"
        let createVideo = "halo.video.v1.VideoService.CreateVideo"
        let state = try GatewayState(configuration: configuration, descriptorSet: try HaloDescriptors.serialized())
        #expect(state.bindings.first { $0.name == getVideo }?.method.isIdempotent == true, "NO_SIDE_EFFECTS")
        #expect(state.bindings.first { $0.name == createVideo }?.method.isIdempotent == false)

        configuration.routes[getVideo, default: .init()].idempotent = false
        configuration.routes[createVideo, default: .init()].idempotent = true
        let overridden = try GatewayState(configuration: configuration, descriptorSet: try HaloDescriptors.serialized())
        #expect(overridden.bindings.first { $0.name == getVideo }?.method.isIdempotent == false)
        #expect(overridden.bindings.first { $0.name == createVideo }?.method.isIdempotent == true)
    }

    @Test func theEnvironmentOverridesAddressesAndPorts() throws {
        let configuration = try GatewayConfiguration.parse(
            yaml: Self.minimal,
            environment: [
                "HALO_GATEWAY_LISTEN": "127.0.0.1:18080", "HALO_GATEWAY_ADMIN": "[::1]:19901",
                "HALO_GATEWAY_CLUSTER_VIDEO": "10.0.0.1:1, 10.0.0.2:2",
                "HALO_GATEWAY_DESCRIPTOR_SET": "/tmp/x.protoset",
            ])
        #expect(configuration.listen == .init(host: "127.0.0.1", port: 18080))
        #expect(configuration.admin == .init(host: "::1", port: 19901))
        #expect(configuration.clusters["video"]?.endpoints == ["10.0.0.1:1", "10.0.0.2:2"])
        #expect(configuration.descriptorSet == "/tmp/x.protoset")
        let bad = #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(yaml: Self.minimal, environment: ["HALO_GATEWAY_CLUSTER_VIDEO": "x"])
        }
        #expect(bad?.key == "HALO_GATEWAY_CLUSTER_VIDEO")
    }

    @Test func eventLoopsDefaultToTheCoresAndAreSetByKeyOrEnvironment() throws {
        let defaults = try GatewayConfiguration.parse(yaml: Self.minimal)
        #expect(defaults.eventLoops == nil)
        #expect(defaults.eventLoopCount == System.coreCount)
        let configured = try GatewayConfiguration.parse(yaml: Self.minimal + "\nevent_loops: 3")
        #expect(configured.eventLoopCount == 3)
        let overridden = try GatewayConfiguration.parse(
            yaml: Self.minimal + "\nevent_loops: 3", environment: ["HALO_GATEWAY_EVENT_LOOPS": "1"])
        #expect(overridden.eventLoopCount == 1)
        for text in ["0", "many", "-2"] {
            let bad = #expect(throws: ConfigurationError.self) {
                try GatewayConfiguration.parse(yaml: Self.minimal, environment: ["HALO_GATEWAY_EVENT_LOOPS": text])
            }
            #expect(bad?.key == "HALO_GATEWAY_EVENT_LOOPS")
        }
    }
}
