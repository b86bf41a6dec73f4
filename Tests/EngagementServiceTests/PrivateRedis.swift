import Foundation
import NIOPosix
import Redis

/// A redis-server of the test's own on a free port, that the test stops and starts again on the
/// same port (no persistence: it comes back empty).
///
/// Spawned with posix_spawn and reaped with waitpid(WNOHANG): nothing here blocks a thread of the
/// concurrency pool (Foundation's `Process.waitUntilExit` does).
final class PrivateRedis: @unchecked Sendable {
    let port: Int
    private let directory: String
    /// Touched only by the test that owns this server, one call at a time.
    private var pid: pid_t?

    init() throws {
        self.port = try TestEnvironment.freePort()
        self.directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("halo-engagement-redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
    }

    deinit {
        if let pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    var url: String { "redis://127.0.0.1:\(self.port)" }

    /// Starts the server and waits until it answers PING; respawns it while the port is not yet free.
    func start() async throws {
        let arguments = [
            try Self.redisServer(), "--bind", "127.0.0.1", "--port", String(self.port), "--save", "",
            "--appendonly", "no", "--dir", self.directory, "--logfile", self.directory + "/redis.log",
        ]
        try await TestEnvironment.eventually(timeout: .seconds(20)) {
            if self.pid == nil { self.pid = try Self.spawn(arguments) }
            do {
                let connection = try await RedisConnection.connect(
                    configuration: RedisConnection.Configuration(
                        host: "127.0.0.1", port: self.port, connectTimeout: .seconds(2), commandTimeout: .seconds(2)),
                    on: MultiThreadedEventLoopGroup.singleton.next(), logger: .quiet)
                defer { connection.close() }
                _ = try await connection.send(RedisCommand("PING"))
            } catch {
                if let pid = self.pid, Self.hasExited(pid) { self.pid = nil }
                throw error
            }
        }
    }

    /// Stops the server (SIGTERM; SIGKILL after 5 s) and waits until it is gone.
    func stop() async {
        guard let pid else { return }
        self.pid = nil
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while !Self.hasExited(pid) {
            if ContinuousClock.now > deadline { kill(pid, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func hasExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return true }
        if result == 0 { return false }
        return kill(pid, 0) != 0
    }

    /// Runs `arguments[0]` with output to /dev/null and no blocked signals (SIGTERM must reach it).
    private static func spawn(_ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
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
            throw TestEnvironment.SetupError(description: "posix_spawn redis-server failed: \(status)")
        }
        return pid
    }

    private static func redisServer() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestEnvironment.SetupError(description: "redis-server not found on PATH (apt-get install redis-server)")
    }
}
