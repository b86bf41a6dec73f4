import Foundation
import Logging
import ServiceSupport
import VideoService

// halo-video: the video service (halo.video.v1.VideoService + grpc.health.v1.Health).
// Configuration comes from the environment only; see ServiceConfiguration.fromEnvironment.
let configuration: ServiceConfiguration
do {
    configuration = try ServiceConfiguration.fromEnvironment(
        service: VideoServiceApp.service, defaults: VideoServiceApp.defaults)
} catch {
    FileHandle.standardError.write(Data("halo-video: invalid configuration: \(error)\n".utf8))
    exit(2)
}
var logger = Logger(label: "halo.video")
logger.logLevel = configuration.logLevel
do {
    try await VideoServiceApp.run(configuration: configuration, logger: logger)
} catch {
    logger.critical("halo-video stopped", metadata: ["error": "\(error)"])
    exit(1)
}
