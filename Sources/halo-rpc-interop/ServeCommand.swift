import ArgumentParser
import Foundation
import HTTP2
import Logging
import NIOCore
import NIOPosix
import Protos
import RPC

/// `halo-rpc-interop serve`: the test service and health on h2c until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve halo.testing.v1.TestService.")

    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one).") var port: Int = 0
    @Option(help: "Event loop threads.") var threads: Int = System.coreCount
    @Option(help: "Log level.") var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "halo.rpc-interop")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        let health = HealthService()
        var router = Router()
        TestService.register(in: &router)
        health.register(in: &router)
        health.setStatus(.serving, for: TestService.name)

        var configuration = Server.Configuration()
        configuration.host = self.host
        configuration.port = self.port
        configuration.http2.drainTimeout = .seconds(5)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, self.threads))
        let server = Server(configuration: configuration, router: router, group: group, logger: logger)
        let address = try await server.start()
        // The one line tests read to learn the port.
        FileHandle.standardOutput.write(Data("listening \(address.ipAddress ?? self.host):\(address.port ?? 0)\n".utf8))

        await Signals.waitForTermination()
        health.enterDrain()
        await server.shutdownGracefully()
        try await group.shutdownGracefully()
    }
}
