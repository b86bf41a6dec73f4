package import Foundation
import Logging
import NIOPosix
import Redis

/// A redis-server of a test's own, on a free port, that the test can stop and start again on the
/// same port (no persistence: it comes back empty).
///
/// Spawned with posix_spawn and reaped with waitpid(WNOHANG): nothing here blocks a thread of the
/// concurrency pool (Foundation's `Process.waitUntilExit` does), and nothing stays behind for
/// LeakSanitizer to report (Foundation's `Process` does).
package final class PrivateRedisServer: @unchecked Sendable {
    // @unchecked: `pid` is touched only by the test that owns the server, one call at a time.
    package let port: Int
    private let directory: URL
    private var pid: pid_t?

    package init() throws {
        self.port = try FreePort.belowEphemeralRange()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "halo-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    deinit {
        if let pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(at: self.directory)
    }

    package var url: String { "redis://127.0.0.1:\(self.port)" }

    /// Starts the server and waits until it answers PING; respawns it while it exits at once
    /// (its port not yet free after a stop).
    package func start(timeout: Duration = .seconds(20)) async throws {
        let arguments = [
            try Self.redisServer(), "--bind", "127.0.0.1", "--port", String(self.port), "--save", "",
            "--appendonly", "no", "--dir", self.directory.path,
            "--logfile", self.directory.appendingPathComponent("redis.log").path,
        ]
        let configuration = RedisConnection.Configuration(
            host: "127.0.0.1", port: self.port, connectTimeout: .seconds(2), commandTimeout: .seconds(5))
        let deadline = ContinuousClock.now + timeout
        while true {
            if self.pid == nil { self.pid = try Self.spawn(arguments) }
            do {
                let connection = try await RedisConnection.connect(
                    configuration: configuration, on: MultiThreadedEventLoopGroup.singleton.next(),
                    logger: .init(label: "halo.test.redis", factory: { _ in SwiftLogNoOpLogHandler() }))
                defer { connection.close() }
                _ = try await connection.send(RedisCommand("PING"))
                return
            } catch {
                if let pid = self.pid, Self.hasExited(pid) { self.pid = nil }
                guard ContinuousClock.now < deadline else {
                    let log = try? String(
                        contentsOf: self.directory.appendingPathComponent("redis.log"), encoding: .utf8)
                    throw RedisTestSetupError(
                        description: "redis-server on port \(self.port) did not start: \(error); log: \(log ?? "-")")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Stops the server (SIGTERM; SIGKILL after 5 s) and waits until it is gone, without blocking a thread.
    package func stop() async {
        guard let pid else { return }
        self.pid = nil
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while !Self.hasExited(pid) {
            if ContinuousClock.now > deadline { kill(pid, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Reaps `pid` if it has exited; also true if it is gone for any other reason.
    private static func hasExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return true }
        if result == 0 { return false }
        return kill(pid, 0) != 0
    }

    /// Runs `arguments[0]` with its output sent to /dev/null.
    private static func spawn(_ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The calling thread may block signals (Dispatch workers do); the child must not inherit
        // that, or SIGTERM would never reach redis-server.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw RedisTestSetupError(description: "posix_spawn redis-server failed: \(status)")
        }
        return pid
    }

    private static func redisServer() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RedisTestSetupError(description: "redis-server not found on PATH (apt-get install redis-server)")
    }
}

/// Why a test's private server could not be set up.
package struct RedisTestSetupError: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) {
        self.description = description
    }
}
