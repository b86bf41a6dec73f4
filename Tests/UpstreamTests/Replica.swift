import Foundation

/// A `halo-rpc-interop serve` process: a real backend a test can kill, stop, resume or drain.
/// The binary is $HALO_RPC_INTEROP, or `.build/debug/halo-rpc-interop` under the package root.
final class Replica {
    let process = Process()
    let port: Int

    init() throws {
        let binary =
            ProcessInfo.processInfo.environment["HALO_RPC_INTEROP"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/halo-rpc-interop").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ReplicaError(message: "no halo-rpc-interop at \(binary): build it (swift build --build-tests)")
        }
        let output = Pipe()
        self.process.executableURL = URL(fileURLWithPath: binary)
        self.process.arguments = [
            "serve", "--port", "0", "--threads", "1", "--log-level", "error", "--exit-with-parent",
        ]
        self.process.standardOutput = output
        // Not the test's own output: a replica left running would hold swift-test's pipe open, and
        // swift-test waits for that pipe to end (a crashed test process hung CI that way).
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        // The one line the server prints: "listening 127.0.0.1:PORT".
        var line = Data()
        let handle = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening "), let colon = text.lastIndex(of: ":"),
            let port = Int(text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            self.process.terminate()
            throw ReplicaError(message: "unexpected first line from halo-rpc-interop: \(text)")
        }
        self.port = port
    }

    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGCONT)
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }

    func signal(_ signal: Int32) {
        kill(self.process.processIdentifier, signal)
    }

    /// Stops the process (SIGSTOP) and waits until the kernel shows every thread stopped, so no
    /// call made afterwards can still be answered (kill() returns before that, and on a busy
    /// machine a thread can still finish a call it had started).
    func stop() throws {
        self.signal(SIGSTOP)
        let tasks = "/proc/\(self.process.processIdentifier)/task"
        for _ in 0..<5000 {
            let states = ((try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []).compactMap { task in
                // "tid (comm) S ...": the state follows the command name's closing parenthesis.
                let stat = (try? String(contentsOfFile: "\(tasks)/\(task)/stat", encoding: .utf8)) ?? ""
                return stat.lastIndex(of: ")").map { stat[stat.index($0, offsetBy: 2)] }
            }
            if !states.isEmpty, states.allSatisfy({ $0 == "T" || $0 == "t" }) { return }
            usleep(1000)
        }
        throw ReplicaError(message: "the replica did not stop")
    }
}

struct ReplicaError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

/// Starts `count` replicas at once.
func startReplicas(_ count: Int) throws -> [Replica] {
    try (0..<count).map { _ in try Replica() }
}
