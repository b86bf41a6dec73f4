import Foundation
import Yams

extension GatewayConfiguration {
    /// Reads a configuration from YAML (JSON is YAML too) and applies environment overrides.
    ///
    /// Overrides, for what deployment changes (addresses, ports, threads), not policy:
    /// `HALO_GATEWAY_LISTEN` and `HALO_GATEWAY_ADMIN` (`host:port`), `HALO_GATEWAY_DESCRIPTOR_SET`
    /// (a path), `HALO_GATEWAY_EVENT_LOOPS` (a number), and `HALO_GATEWAY_CLUSTER_<NAME>`
    /// (comma-separated `host:port` list; the name upper-cased, `-` as `_`).
    package static func parse(
        yaml text: String, environment: [String: String] = [:]
    ) throws(ConfigurationError)
        -> GatewayConfiguration
    {
        var configuration: GatewayConfiguration
        do {
            configuration = try YAMLDecoder().decode(GatewayConfiguration.self, from: text)
        } catch let error as ConfigurationError {
            throw error
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw ConfigurationError(key: "", "not valid YAML: \(error)")
        }
        try configuration.applyOverrides(environment)
        return configuration
    }

    /// Reads the file at `path`.
    package static func load(
        path: String, environment: [String: String] = [:]
    ) throws(ConfigurationError)
        -> GatewayConfiguration
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "", "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try Self.parse(yaml: text, environment: environment)
        } catch {
            throw ConfigurationError(key: error.key, "\(error.message) (in \(path))")
        }
    }

    mutating func applyOverrides(_ environment: [String: String]) throws(ConfigurationError) {
        if let text = environment["HALO_GATEWAY_LISTEN"] {
            guard let listener = Listener.parse(text) else {
                throw ConfigurationError(key: "HALO_GATEWAY_LISTEN", "'\(text)' is not host:port")
            }
            self.listen = listener
        }
        if let text = environment["HALO_GATEWAY_ADMIN"] {
            guard let listener = Listener.parse(text) else {
                throw ConfigurationError(key: "HALO_GATEWAY_ADMIN", "'\(text)' is not host:port")
            }
            self.admin = listener
        }
        if let path = environment["HALO_GATEWAY_DESCRIPTOR_SET"], !path.isEmpty { self.descriptorSet = path }
        if let text = environment["HALO_GATEWAY_EVENT_LOOPS"], !text.isEmpty {
            guard let loops = Int(text), (1...Self.maximumEventLoops).contains(loops) else {
                throw ConfigurationError(
                    key: "HALO_GATEWAY_EVENT_LOOPS", "'\(text)' is not a number from 1 to \(Self.maximumEventLoops)")
            }
            self.eventLoops = loops
        }
        for name in self.clusters.keys.sorted() {
            let variable = "HALO_GATEWAY_CLUSTER_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
            guard let text = environment[variable] else { continue }
            let endpoints = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !endpoints.isEmpty, endpoints.allSatisfy({ Listener.parse($0) != nil }) else {
                throw ConfigurationError(key: variable, "'\(text)' is not a list of host:port")
            }
            self.clusters[name]!.endpoints = endpoints
        }
    }

    private static func describe(_ error: DecodingError) -> ConfigurationError {
        switch error {
        case .typeMismatch(let type, let context):
            return ConfigurationError(key: context.codingPath.dottedPath, "expected \(Self.name(of: type))")
        case .valueNotFound(let type, let context):
            return ConfigurationError(key: context.codingPath.dottedPath, "missing \(Self.name(of: type))")
        case .keyNotFound(let key, let context):
            return ConfigurationError(key: (context.codingPath + [key]).dottedPath, "required key is missing")
        case .dataCorrupted(let context):
            // Yams reports errors thrown while decoding (ours name their key) as corrupted data.
            if let own = context.underlyingError as? ConfigurationError { return own }
            return ConfigurationError(key: context.codingPath.dottedPath, context.debugDescription)
        @unknown default:
            return ConfigurationError(key: "", "\(error)")
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
