import Foundation

extension GatewayConfiguration {
    /// The bundled `halo-gateway.yaml`: Halo's services on loopback.
    package static func haloDefault(
        environment: [String: String] = [:]
    ) throws(ConfigurationError)
        -> GatewayConfiguration
    {
        guard let url = Bundle.module.url(forResource: "halo-gateway", withExtension: "yaml") else {
            throw ConfigurationError(key: "", "the bundled halo-gateway.yaml is missing")
        }
        return try Self.load(path: url.path, environment: environment)
    }
}
