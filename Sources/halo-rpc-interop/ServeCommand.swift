import ArgumentParser
import Foundation
import HTTP2
import HealthProtos
import Logging
import NIOCore
import NIOPosix
import RPC

/// `halo-rpc-interop serve`: the test service and health on h2c until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve halo.testing.v1.TestService.")

    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one).") var port: Int = 0
    @Option(help: "Event loop threads.") var threads: Int = System.coreCount
    @Option(
        help: "Log level: trace, debug, info, notice, warning, error, critical.",
        transform: { value in
            guard let level = Logger.Level(rawValue: value) else { throw ValidationError("unknown log level \(value)") }
            return level
        })
    var logLevel: Logger.Level = .info
    @Option(help: "How GetVideo (the benchmark workload) runs: inline (on the event loop) or async (a Task on it).")
    var getVideoHandler: TestService.HandlerKind = .inline
    @Option(
        help: """
            On SIGUSR1, every connection sends GOAWAY keeping only this many of its oldest calls: the \
            newer ones are refused (never processed) and the server keeps serving new connections.
            """)
    var goAwayKeep: Int = 1
    @Flag(
        help: """
            Shut down as on SIGTERM when the parent process is gone: a test's backend goes with the \
            test process, even when that process crashes.
            """)
    var exitWithParent = false

    func run() async throws {
        var logger = Logger(label: "halo.rpc-interop")
        logger.logLevel = self.logLevel
        let health = HealthService()
        var router = Router()
        TestService.register(in: &router, getVideo: self.getVideoHandler)
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

        // A restart as clients see it (GOAWAY with a last stream id below calls in flight), for
        // tests of their GOAWAY handling.
        let keep = self.goAwayKeep
        Signals.onSignal(SIGUSR1) { server.goAway(keepingOldestStreams: keep) }

        if self.exitWithParent {
            let parent = getppid()
            Thread.detachNewThread {
                while getppid() == parent { usleep(200_000) }
                kill(getpid(), SIGTERM)
            }
        }
        await Signals.waitForTermination()
        health.enterDrain()
        await server.shutdownGracefully()
        try await group.shutdownGracefully()
    }
}

extension TestService.HandlerKind: ExpressibleByArgument {}
