import Foundation
import NIOCore
import Redis

/// A redis-server of the test's own on a free port, for tests that stop and restart the server.
///
/// Started with posix_spawn and reaped with waitpid (Foundation's Process keeps memory LeakSanitizer reports).
final class RedisServerProcess {
    let port: Int
    private let directory: URL
    private var pid: pid_t?

    init() throws {
        port = try TestRedis.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("halo-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        if let pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    var configuration: RedisConnection.Configuration {
        RedisConnection.Configuration(
            host: "127.0.0.1", port: port, connectTimeout: .seconds(5), commandTimeout: .seconds(10))
    }

    /// Starts the server and waits until it answers PING; respawns it if it exits (port not yet free).
    func start() async throws {
        let executable = try Self.redisServer()
        let arguments = [
            executable, "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
        ]
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            if pid == nil { pid = try Self.spawn(arguments) }
            do {
                let connection = try await RedisConnection.connect(
                    configuration: configuration, on: TestRedis.loop(), logger: .quiet)
                defer { connection.close() }
                _ = try await connection.send(RedisCommand("PING"))
                return
            } catch {
                if let pid, Self.hasExited(pid) { self.pid = nil }
                if ContinuousClock.now > deadline {
                    let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8))
                    throw TestRedis.SetupError(
                        description: "redis-server on port \(port) did not start: \(error); log: \(log ?? "-")")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Stops the server (SIGTERM, SIGKILL after 5 s) and reaps it, without blocking a thread.
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
        // The calling thread (a Dispatch worker) blocks signals; the child must not inherit that, or
        // SIGTERM would never reach redis-server.
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
            throw TestRedis.SetupError(description: "posix_spawn redis-server failed: \(status)")
        }
        return pid
    }

    private static func redisServer() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestRedis.SetupError(description: "redis-server not found on PATH (apt-get install redis-server)")
    }
}
