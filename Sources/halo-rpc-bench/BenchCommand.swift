import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import RPC
import Synchronization
import Upstream

#if canImport(Glibc)
import Glibc
#endif

/// `halo-rpc-bench`: unary calls at a fixed concurrency on one event loop, through the bare
/// connection (`Subchannel`) or the cluster layer (`LoopPool`: pick, breaker, limits, retry
/// bookkeeping, deadline), reporting the client's CPU per call (getrusage) for
/// Benchmarks/rpc-client.sh.
///
/// Synchronous at the top: the main thread waits on a semaphore for the measuring task, rather
/// than parking in `dispatch_main` as an async `main` does, which valgrind 3.19 cannot run
/// (Benchmarks/rpc-layer-cost.sh counts instructions under callgrind).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "halo-rpc-bench", abstract: "Drive unary gRPC calls and report client CPU per call.")

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case connection, cluster
    }

    @Option(help: "Server address, host:port.") var target: String
    @Option(help: "The method's :path.") var path = "/demo.v1.VideoService/GetVideo"
    @Option(help: "Calls in flight.") var concurrency = 32
    @Option(help: "Seconds measured.") var duration = 5.0
    @Option(help: "Seconds of warm-up first.") var warmup = 1.0
    @Option(help: "connection (bare Subchannel) or cluster (LoopPool on top).") var mode = Mode.connection
    @Option(
        help: """
            Measure exactly this many calls (after --warmup-calls) instead of --duration: instruction \
            counts per call under callgrind come from two runs' difference.
            """)
    var calls: Int?
    @Option(help: "Calls of warm-up first, with --calls.") var warmupCalls = 1000

    func run() throws {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let command = self
        Task {
            do {
                try await command.measure()
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            finished.signal()
        }
        finished.wait()
        try outcome.withLock { $0 }?.get()
    }

    private func measure() async throws {
        guard let endpoint = ClusterConfiguration.Endpoint(self.target) else {
            throw ValidationError("target must be host:port")
        }
        let parts = self.path.split(separator: "/")
        guard parts.count == 2 else { throw ValidationError("path must be /service/method") }
        let method = MethodDescriptor(service: String(parts[0]), method: String(parts[1]), isIdempotent: true)
        // GetVideoRequest { id: 1 }, framed once and sent as it is by every call.
        var request = RequestMessage(capacity: 2)
        request.buffer.writeBytes([0x08, 0x01])
        let framed = request.framed()

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var logger = Logger(label: "halo.rpc-bench")
        logger.logLevel = .warning
        let issue: @Sendable (@escaping (Bool) -> Void) -> Void
        let cluster: Cluster?
        switch self.mode {
        case .connection:
            cluster = nil
            let address = try SocketAddress(ipAddress: endpoint.host, port: endpoint.port)
            let subchannel = try await loop.submit {
                let subchannel = Subchannel(
                    address: address, authority: endpoint.description, eventLoop: loop,
                    configuration: .defaults, logger: logger)
                return NIOLoopBound(subchannel, eventLoop: loop)
            }.get()
            let ready = loop.makePromise(of: Void.self)
            loop.execute {
                subchannel.value.onStateChange = { _, state in if state == .ready { ready.succeed() } }
                subchannel.value.connect()
            }
            try await ready.futureResult.get()
            issue = { done in
                subchannel.value.unary(method, request: framed, deadline: loop.now + .seconds(5)) { result in
                    if case .success = result { done(true) } else { done(false) }
                }
            }
        case .cluster:
            var configuration = ClusterConfiguration(name: "bench", endpoints: [endpoint])
            configuration.healthCheck = nil
            // No re-resolution inside a measured run (an IP literal costs nothing, but counts stay exact).
            configuration.resolveInterval = .seconds(3600)
            let started = Cluster(configuration: configuration, group: group, logger: logger)
            try await started.start()
            cluster = started
            let pool = try await loop.submit { NIOLoopBound(started.pool(on: loop), eventLoop: loop) }.get()
            try await waitUntilReady(started)
            issue = { done in
                pool.value.unary(method, framedRequest: framed, deadline: loop.now + .seconds(5)) { result in
                    if case .success = result { done(true) } else { done(false) }
                }
            }
        }
        _ = try await Self.drive(
            on: loop, concurrency: self.concurrency, seconds: self.warmup,
            calls: self.calls == nil ? nil : self.warmupCalls, issue: issue)
        let cpuBefore = Self.cpuNanoseconds()
        let (calls, failures, elapsed) = try await Self.drive(
            on: loop, concurrency: self.concurrency, seconds: self.duration, calls: self.calls, issue: issue)
        let cpuAfter = Self.cpuNanoseconds()
        let perCall = { (nanoseconds: Int64) in
            String(format: "%.3f", Double(nanoseconds) / 1000 / Double(max(1, calls)))
        }
        print(
            "mode=\(self.mode.rawValue) calls=\(calls) failures=\(failures) seconds=\(elapsed)"
                + " rps=\(Int(Double(calls) / elapsed)) cpu_us_per_call=\(perCall(cpuAfter.total - cpuBefore.total))"
                + " user_us_per_call=\(perCall(cpuAfter.user - cpuBefore.user))"
        )
        await cluster?.shutDown()
        try await group.shutdownGracefully()
    }

    private func waitUntilReady(_ cluster: Cluster) async throws {
        for _ in 0..<500 {
            if await cluster.snapshot().hasUsableEndpoint { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ValidationError("no ready connection to \(self.target)")
    }

    /// Keeps `concurrency` calls in flight on `loop` for `seconds` (or until `calls` were made);
    /// returns calls, failures, elapsed seconds.
    private static func drive(
        on loop: any EventLoop, concurrency: Int, seconds: Double, calls: Int?,
        issue: @escaping @Sendable (@escaping (Bool) -> Void) -> Void
    ) async throws -> (Int, Int, Double) {
        let done = loop.makePromise(of: (Int, Int, Double).self)
        loop.execute {
            let driver = LoadDriver(loop: loop, seconds: seconds, limit: calls, issue: issue, done: done)
            for _ in 0..<min(concurrency, calls ?? concurrency) { driver.next() }
        }
        return try await done.futureResult.get()
    }

    /// The process's CPU time so far: user, and user + system.
    private static func cpuNanoseconds() -> (user: Int64, total: Int64) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Int64(usage.ru_utime.tv_sec) * 1_000_000_000 + Int64(usage.ru_utime.tv_usec) * 1000
        let system = Int64(usage.ru_stime.tv_sec) * 1_000_000_000 + Int64(usage.ru_stime.tv_usec) * 1000
        return (user, user + system)
    }
}

/// Starts a call each time one ends, until the time is up; on the loop only.
final class LoadDriver {
    private let loop: any EventLoop
    private let start: NIODeadline
    private let end: NIODeadline
    /// Calls to make in all (nil: until `end`).
    private let limit: Int?
    private let issue: (@escaping (Bool) -> Void) -> Void
    private let done: EventLoopPromise<(Int, Int, Double)>
    private var inFlight = 0
    private var issued = 0
    private var calls = 0
    private var failures = 0

    init(
        loop: any EventLoop, seconds: Double, limit: Int?, issue: @escaping (@escaping (Bool) -> Void) -> Void,
        done: EventLoopPromise<(Int, Int, Double)>
    ) {
        self.loop = loop
        self.start = loop.now
        self.end = loop.now + .nanoseconds(Int64(seconds * 1e9))
        self.limit = limit
        self.issue = issue
        self.done = done
    }

    private var hasMoreToIssue: Bool {
        if let limit = self.limit { return self.issued < limit }
        return self.loop.now < self.end
    }

    func next() {
        self.inFlight += 1
        self.issued += 1
        self.issue { ok in
            self.inFlight -= 1
            if ok { self.calls += 1 } else { self.failures += 1 }
            if self.hasMoreToIssue {
                self.next()
            } else if self.inFlight == 0 {
                let elapsed = Double((self.loop.now - self.start).nanoseconds) / 1e9
                self.done.succeed((self.calls, self.failures, elapsed))
            }
        }
    }
}
