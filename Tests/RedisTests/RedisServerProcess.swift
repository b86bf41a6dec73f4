import Foundation
import NIOCore
import Redis

/// A redis-server of the test's own on a free port, for tests that stop and restart the server.
final class RedisServerProcess {
    let port: Int
    private let directory: URL
    private var process: Process?

    init() throws {
        port = try TestRedis.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("halo-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    var configuration: RedisConnection.Configuration {
        RedisConnection.Configuration(
            host: "127.0.0.1", port: port, connectTimeout: .seconds(2), commandTimeout: .seconds(5))
    }

    /// Starts the server and waits until it answers PING.
    func start() async throws {
        let process = Process()
        process.executableURL = try Self.redisServer()
        process.arguments = [
            "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            "--dir", directory.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        _ = try await TestRedis.eventually(timeout: .seconds(10)) {
            let connection = try await RedisConnection.connect(
                configuration: configuration, on: TestRedis.loop(), logger: .quiet)
            defer { connection.close() }
            return try await connection.send(RedisCommand("PING"))
        }
    }

    /// Stops the server (SIGTERM, SIGKILL after 5 s) and waits for it to exit, without blocking a thread.
    func stop() async {
        guard let process else { return }
        self.process = nil
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning {
            if ContinuousClock.now > deadline { kill(process.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func redisServer() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("redis-server")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestRedis.SetupError(description: "redis-server not found on PATH (apt-get install redis-server)")
    }
}
