import EngagementService
import Foundation
import Logging
import ServiceSupport

// halo-engagement: the engagement service (halo.engagement.v1.EngagementService + grpc.health.v1.Health).
// Configuration comes from the environment only; see EngagementConfiguration.fromEnvironment.
let configuration: EngagementConfiguration
do {
    configuration = try EngagementConfiguration.fromEnvironment(EngagementServiceApp.defaults)
} catch {
    FileHandle.standardError.write(Data("halo-engagement: invalid configuration: \(error)\n".utf8))
    exit(2)
}
var logger = Logger(label: "halo.engagement")
logger.logLevel = configuration.service.logLevel
do {
    try await EngagementServiceApp.run(configuration: configuration, logger: logger)
} catch {
    logger.critical("halo-engagement stopped", metadata: ["error": "\(error)"])
    exit(1)
}
