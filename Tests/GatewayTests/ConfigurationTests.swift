import Gateway
import NIOCore
import Testing

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
