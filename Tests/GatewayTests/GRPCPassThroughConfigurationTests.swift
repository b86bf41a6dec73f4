import Gateway
import Testing

@Suite("Gateway configuration: the grpc pass-through section")
struct GRPCPassThroughConfigurationTests {
    static let services = """
        clusters:
          video: {endpoints: ["127.0.0.1:50052"]}
        services:
          halo.video.v1.VideoService: video
        """

    @Test func theDefaultsBoundEveryCall() throws {
        let grpc = try GatewayConfiguration.parse(yaml: Self.services).grpc
        #expect(grpc.defaultAuth == .optional)
        #expect(grpc.defaultTimeout == .seconds(30))
        #expect(grpc.maxTimeout == .seconds(300))
        #expect(grpc.auth(for: "halo.video.v1.VideoService") == .optional)
        let bundled = try GatewayConfiguration.haloDefault().grpc
        #expect(bundled.defaultAuth == .optional)
    }

    @Test func policiesArePerService() throws {
        let grpc = try GatewayConfiguration.parse(
            yaml: Self.services + """

                grpc:
                  default_auth: required
                  default_timeout: 2s
                  max_timeout: 1m
                  services:
                    halo.video.v1.VideoService: {auth: trusted}
                """
        ).grpc
        #expect(grpc.defaultAuth == .required)
        #expect(grpc.defaultTimeout == .seconds(2))
        #expect(grpc.maxTimeout == .seconds(60))
        #expect(grpc.auth(for: "halo.video.v1.VideoService") == .trusted)
        #expect(grpc.auth(for: "halo.auth.v1.AuthService") == .required)
    }

    @Test(arguments: [
        ("grpc: {default_auth: maybe}", "grpc.default_auth"),
        ("grpc: {max_timeout: soon}", "grpc.max_timeout"),
        ("grpc: {deadline: 1s}", "grpc.deadline"),
        (
            "grpc: {services: {halo.video.v1.VideoService: {auth: none, extra: 1}}}",
            "grpc.services.halo.video.v1.VideoService.extra"
        ),
        ("grpc: {services: {x.Unknown: {auth: none}}}", "grpc.services.x.Unknown"),
    ])
    func aBadKeyOrValueIsNamed(yaml: String, key: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(yaml: Self.services + "\n" + yaml)
        }
        #expect(error?.key == key, "\(error.map { "\($0)" } ?? "no error")")
    }
}
