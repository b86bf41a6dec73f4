import Foundation
package import Logging
import Metrics
import Prometheus
import Protos
import UnixSignals

/// `halo-gateway`'s whole life: read the configuration (`--config PATH`, `HALO_GATEWAY_CONFIG`, or
/// the bundled Halo default) and the descriptor set, start, reload on SIGHUP, drain on SIGTERM or
/// SIGINT. A configuration that cannot serve fails before anything listens, naming the key.
package enum GatewayMain {
    package static func run(arguments: [String], environment: [String: String]) async -> Int32 {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: environment["HALO_LOG_LEVEL"] ?? "info") ?? .info
            return handler
        }
        let logger = Logger(label: "halo.gateway")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        var path = environment["HALO_GATEWAY_CONFIG"]
        if let index = arguments.firstIndex(of: "--config"), index + 1 < arguments.count {
            path = arguments[index + 1]
        }
        let configPath = path
        let source: @Sendable () throws(ConfigurationError) -> GatewayState = {
            () throws(ConfigurationError) -> GatewayState in
            let configuration: GatewayConfiguration
            if let configPath {
                configuration = try GatewayConfiguration.load(path: configPath, environment: environment)
            } else {
                configuration = try GatewayConfiguration.haloDefault(environment: environment)
            }
            return try GatewayState(configuration: configuration, descriptorSet: try Self.descriptors(configuration))
        }
        let state: GatewayState
        do {
            state = try source()
        } catch {
            logger.critical("configuration refused", metadata: ["error": "\(error)"])
            return 2
        }

        let app = GatewayApp(
            state: state, logger: logger, reloadSource: source, renderMetrics: { registry.emitToString() })
        do {
            _ = try await app.start()
        } catch {
            logger.critical("could not start", metadata: ["error": "\(error)"])
            await app.shutdownGracefully()
            return 1
        }
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
            if signal == .sighup {
                do {
                    try await app.reloadFromSource()
                } catch {
                    logger.error("reload refused; the old configuration keeps serving", metadata: ["error": "\(error)"])
                }
                continue
            }
            logger.info("draining", metadata: ["signal": "\(signal)"])
            break
        }
        await app.shutdownGracefully()
        return 0
    }

    /// The descriptor set to serve: the configured file, or the committed `halo.protoset`.
    static func descriptors(_ configuration: GatewayConfiguration) throws(ConfigurationError) -> [UInt8] {
        do {
            if let path = configuration.descriptorSet {
                return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            return try HaloDescriptors.serialized()
        } catch {
            throw ConfigurationError(key: "descriptor_set", "cannot read: \(error.localizedDescription)")
        }
    }
}
