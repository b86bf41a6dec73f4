import Foundation
import HTTP2
import HealthProtos
import Logging
import NIOCore
import NIOPosix
import RPC
import SwiftProtobuf
import Synchronization
import TestProtos
import Testing

@Suite("gRPC server and client over real sockets")
struct ServerClientTests {
    @Test("unary round trip with metadata, async and event-loop APIs")
    func unary() async throws {
        try await withEchoServer { _, client, _ in
            var metadata = Metadata()
            metadata.add("x-halo-test", "value")
            let response = try await client.unary(
                Echo.unary, EchoRequest.with { $0.message = "hi" }, as: EchoResponse.self,
                options: CallOptions(metadata: metadata))
            #expect(response.message == "hi")
            #expect(response.metadata["x-halo-test"] == "value")

            let viaLoop = try await client.unary(
                Echo.unary, EchoRequest.with { $0.message = "loop" }, as: EchoResponse.self
            )
            .get()
            #expect(viaLoop.message.message == "loop")
        }
    }

    @Test("an unknown method is UNIMPLEMENTED")
    func unknownMethod() async throws {
        try await withEchoServer { _, client, _ in
            let missing = MethodDescriptor(service: "halo.testing.v1.TestService", method: "Missing")
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(missing, EchoRequest(), as: EchoResponse.self)
            }
            #expect(error?.code == .unimplemented)
        }
    }

    @Test("a request over the size limit is RESOURCE_EXHAUSTED and the connection keeps serving")
    func messageTooLarge() async throws {
        try await withEchoServer(configure: { $0.maxMessageSize = 64 * 1024 }) { _, client, events in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(
                    Echo.unary, EchoRequest.with { $0.payload = Data(count: 100 * 1024) }, as: EchoResponse.self)
            }
            #expect(error?.code == .resourceExhausted)
            #expect(!events.all.contains { $0.hasPrefix("started") })
            let ok = try await client.unary(
                Echo.unary, EchoRequest.with { $0.message = "after" }, as: EchoResponse.self)
            #expect(ok.message == "after")
        }
    }

    @Test("the client's deadline: DEADLINE_EXCEEDED on time, and the handler is cancelled")
    func clientDeadline() async throws {
        try await withEchoServer { _, client, events in
            // Connect first: the deadline covers connecting too, and under load that alone can
            // take longer than this test's short deadline (`deadlineCoversConnecting` tests that).
            _ = try await client.unary(Echo.unary, EchoRequest.with { $0.message = "warm" }, as: EchoResponse.self)
            let start = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(
                    Echo.unary,
                    EchoRequest.with {
                        $0.message = "slow"; $0.delayMs = 5000
                    }, as: EchoResponse.self,
                    options: CallOptions(timeout: .milliseconds(200)))
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(await events.waitFor("started slow"), "handler events: \(events.all)")
            #expect(await events.waitFor("cancelled slow"), "handler events: \(events.all)")
        }
    }

    @Test("the server enforces grpc-timeout on its own: DEADLINE_EXCEEDED and the handler is cancelled")
    func serverDeadline() async throws {
        try await withEchoServer { _, client, events in
            var metadata = Metadata()
            metadata.add("grpc-timeout", "1S")  // sent as a header; the client itself sets no timer
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(
                    Echo.unary,
                    EchoRequest.with {
                        $0.message = "late"; $0.delayMs = 5000
                    }, as: EchoResponse.self,
                    options: CallOptions(metadata: metadata))
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(await events.waitFor("started late"), "handler events: \(events.all)")
            #expect(await events.waitFor("cancelled late"), "handler events: \(events.all)")
        }
    }

    @Test("a unary call goes out whole from one hop: a caller that can't run again still reaches the handler")
    func unaryNeedsNoSecondTurnOfTheCaller() async throws {
        try await withEchoServer { _, client, events in
            // The caller's first job makes the call; every later job of its task is held back.
            let executor = StalledExecutor(runningJobs: 1)
            let call = Task(executorPreference: executor) {
                try await client.unary(Echo.unary, EchoRequest.with { $0.message = "whole" }, as: EchoResponse.self)
            }
            let started = await events.waitFor("started whole")
            executor.release()
            #expect(started, "the request waited for its caller: \(events.all)")
            let response = try await call.value
            #expect(response.message == "whole")
        }
    }

    @Test("a unary call the server refused (REFUSED_STREAM) is sent once more, from both APIs")
    func refusedUnaryIsRetriedOnce() async throws {
        // Every other stream is refused, starting with the first: each call's first attempt.
        try await RefusingServer.with(refusing: { $0.isMultiple(of: 2) }) { server, client in
            // Async API: refused once, answered on the retry.
            _ = try await client.unary(Echo.unary, EchoRequest(), as: EchoResponse.self)
            #expect(server.refused == 1 && server.answered == 1)
            // Event-loop API: the same.
            _ = try await client.unary(Echo.unary, EchoRequest(), as: EchoResponse.self).get()
            #expect(server.refused == 2 && server.answered == 2)
        }
    }

    @Test("a unary call refused twice fails UNAVAILABLE: one transparent retry, no more")
    func refusedTwiceIsUnavailable() async throws {
        try await RefusingServer.with(refusing: { _ in true }) { server, client in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(Echo.unary, EchoRequest(), as: EchoResponse.self)
            }
            #expect(error?.code == .unavailable)
            #expect(server.refused == 2 && server.answered == 0)
        }
    }

    @Test("cancelling the caller's task cancels the call and the handler")
    func clientCancellation() async throws {
        try await withEchoServer { _, client, events in
            let call = Task {
                try await client.unary(
                    Echo.unary,
                    EchoRequest.with {
                        $0.message = "abandoned"; $0.delayMs = 5000
                    }, as: EchoResponse.self)
            }
            #expect(await events.waitFor("started abandoned"))
            call.cancel()
            let result = await call.result
            let error = #expect(throws: RPCError.self) { try result.get() }
            #expect(error?.code == .cancelled)
            #expect(await events.waitFor("cancelled abandoned"))
        }
    }

    @Test("an error status carries its message and trailing metadata")
    func errorStatus() async throws {
        try await withEchoServer { _, client, _ in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(
                    Echo.unary,
                    EchoRequest.with {
                        $0.failCode = 9; $0.failMessage = "précondition ✗ 100%"
                    },
                    as: EchoResponse.self)
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message == "précondition ✗ 100%")
            #expect(error?.metadata["x-detail"] == "see docs")
            // The rich status reaches the caller (the gateway renders its field violations).
            #expect(error?.metadata.bytes("grpc-status-details-bin") == [0x08, 0x09, 0x12, 0x00, 0xFF])
        }
    }

    @Test("a handler's own error becomes UNKNOWN without its details")
    func handlerCrashLeaksNothing() async throws {
        try await withEchoServer { _, client, _ in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(Echo.crash, EchoRequest(), as: EchoResponse.self)
            }
            #expect(error?.code == .unknown)
            #expect(error.map { !$0.message.contains("hunter2") && !$0.message.contains("db.internal") } == true)
        }
    }

    @Test("streaming: a thousand responses in order, client streaming and bidi")
    func streaming() async throws {
        try await withEchoServer { _, client, _ in
            let count = try await client.serverStreaming(
                Echo.serverStream,
                EchoRequest.with {
                    $0.responseCount = 1000; $0.payload = Data(count: 1000)
                },
                as: EchoResponse.self
            ) { responses in
                var expected: Int32 = 0
                for try await response in responses {
                    #expect(response.index == expected)
                    expected += 1
                }
                return expected
            }
            #expect(count == 1000)

            let collected = try await client.clientStreaming(Echo.clientStream, as: EchoResponse.self) {
                (requests: RequestWriter<EchoRequest>) in
                for word in ["a", "b", "c"] { try await requests.write(.with { $0.message = word }) }
            }
            #expect(collected.message == "abc" && collected.index == 3)

            let echoed = try await client.bidirectionalStreaming(Echo.bidi, as: EchoResponse.self) {
                (requests: RequestWriter<EchoRequest>, responses) in
                var iterator = responses.makeAsyncIterator()
                var echoed: [String] = []
                for word in ["x", "y"] {
                    try await requests.write(.with { $0.message = word })
                    echoed.append(try await iterator.next()?.message ?? "?")
                }
                try await requests.finish()
                return echoed
            }
            #expect(echoed == ["x", "y"])
        }
    }

    @Test("more concurrent calls than the stream limit all complete (the client queues)")
    func concurrency() async throws {
        try await withEchoServer(configure: { $0.http2.maxConcurrentStreams = 10 }) { _, client, _ in
            let results = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        try await client.unary(
                            Echo.unary,
                            EchoRequest.with {
                                $0.message = "\(index)"; $0.delayMs = 5
                            },
                            as: EchoResponse.self
                        ).message
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(results.count == 300)
        }
    }

    @Test("health: Check answers per service; Watch streams changes")
    func health() async throws {
        let health = HealthService()
        var router = Router()
        health.register(in: &router)
        health.setStatus(.serving, for: "halo.test")
        let server = Server(configuration: .defaults, router: router, logger: Logger(label: "test"))
        let port = try await server.start().port!
        let client = ClientConnection(host: "127.0.0.1", port: port)

        let check = try await client.unary(
            HealthService.check, Grpc_Health_V1_HealthCheckRequest.with { $0.service = "halo.test" },
            as: Grpc_Health_V1_HealthCheckResponse.self)
        #expect(check.status == .serving)
        let unknown = await #expect(throws: RPCError.self) {
            _ = try await client.unary(
                HealthService.check, Grpc_Health_V1_HealthCheckRequest.with { $0.service = "nope" },
                as: Grpc_Health_V1_HealthCheckResponse.self)
        }
        #expect(unknown?.code == .notFound)

        let seen = try await client.serverStreaming(
            HealthService.watch, Grpc_Health_V1_HealthCheckRequest.with { $0.service = "halo.test" },
            as: Grpc_Health_V1_HealthCheckResponse.self
        ) { responses in
            var seen: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] = []
            for try await response in responses {
                seen.append(response.status)
                if seen.count == 1 { health.setStatus(.notServing, for: "halo.test") }
                if seen.count == 2 { break }
            }
            return seen
        }
        #expect(seen == [.serving, .notServing])
        await client.close()
        await server.shutdownGracefully()
    }

    @Test("a server whose bind failed can be dropped: its shutdown promise is completed, not leaked")
    func droppedAfterAFailedBind() async throws {
        let first = Server(configuration: .defaults, router: Echo.router(events: Events()), logger: Logger(label: "t"))
        var configuration = Server.Configuration.defaults
        configuration.port = try await first.start().port!
        do {
            // NIO's leak check ends the process in a debug build if the dropped server's promise
            // was never completed.
            let second = Server(
                configuration: configuration, router: Echo.router(events: Events()), logger: Logger(label: "t"))
            await #expect(throws: (any Error).self) { try await second.start() }
        }
        await first.shutdownGracefully()
    }

    /// Shutting down a server that never started (its bind failed) returns at once: it used to
    /// wait for a stop that nothing would ever signal. A hang here ends in the bounded wait below.
    @Test func shuttingDownAServerThatNeverStartedReturns() async throws {
        let first = Server(configuration: .defaults, router: Echo.router(events: Events()), logger: Logger(label: "t"))
        var configuration = Server.Configuration.defaults
        configuration.port = try await first.start().port!
        let second = Server(
            configuration: configuration, router: Echo.router(events: Events()), logger: Logger(label: "t"))
        await #expect(throws: (any Error).self) { try await second.start() }
        let returned = Mutex(false)
        // Unstructured, so that a shutdown that never returns fails the test instead of hanging it.
        Task {
            await second.shutdownGracefully()
            await second.shutdownGracefully()
            returned.withLock { $0 = true }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !returned.withLock({ $0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(returned.withLock { $0 }, "shutdownGracefully() of a never-started server did not return within 10 s")
        await first.shutdownGracefully()
    }

    @Test("graceful shutdown lets the call in flight finish, then refuses new connections")
    func gracefulShutdown() async throws {
        let events = Events()
        let server = Server(configuration: .defaults, router: Echo.router(events: events), logger: Logger(label: "t"))
        let port = try await server.start().port!
        let client = ClientConnection(host: "127.0.0.1", port: port)
        let inFlight = Task {
            try await client.unary(
                Echo.unary,
                EchoRequest.with {
                    $0.message = "finishing"; $0.delayMs = 300
                }, as: EchoResponse.self)
        }
        #expect(await events.waitFor("started finishing"))
        await server.shutdownGracefully()
        #expect(try await inFlight.value.message == "finishing")

        let late = ClientConnection(host: "127.0.0.1", port: port)
        let error = await #expect(throws: RPCError.self) {
            _ = try await late.unary(Echo.unary, EchoRequest(), as: EchoResponse.self)
        }
        #expect(error?.code == .unavailable)
        await client.close()
        await late.close()
    }

    @Test("a call's deadline covers waiting for the connection (a peer that accepts but never speaks HTTP/2)")
    func deadlineCoversConnecting() async throws {
        // A group of its own: on the shared singleton loops, other suites running in parallel
        // delayed this 300 ms deadline to 3.35 s once, which says nothing about the client.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let silent = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let client = ClientConnection(host: "127.0.0.1", port: silent.localAddress!.port!, eventLoop: group.next())
        let start = NIODeadline.now()
        let call: EventLoopFuture<UnaryResponse<EchoResponse>> = client.unary(
            Echo.unary, EchoRequest(), as: EchoResponse.self, options: CallOptions(timeout: .milliseconds(300)))
        // When the call failed, read on its loop: the test task may resume much later on a
        // machine running every suite at once (it once did, 4 s later), which says nothing
        // about the client.
        let settled = group.next().makePromise(of: NIODeadline.self)
        call.whenComplete { _ in settled.succeed(.now()) }
        let error = await #expect(throws: RPCError.self) { _ = try await call.get() }
        #expect(error?.code == .deadlineExceeded)
        let failedAfter = try await settled.futureResult.get() - start
        #expect(failedAfter < .seconds(3), "failed after \(failedAfter)")
        await client.close()
        try await silent.close()
        try await group.shutdownGracefully()
    }

    @Test("the client fails fast while the server is down, then reconnects after backoff")
    func reconnect() async throws {
        // Reserve a port, then free it: nothing listens there yet.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()

        var configuration = ClientConnection.Configuration()
        configuration.backoff = Backoff(initial: .milliseconds(100), jitter: 0, maximum: .milliseconds(200))
        let client = ClientConnection(host: "127.0.0.1", port: port, configuration: configuration)
        let down = await #expect(throws: RPCError.self) {
            _ = try await client.unary(Echo.unary, EchoRequest(), as: EchoResponse.self)
        }
        #expect(down?.code == .unavailable)

        var serverConfiguration = Server.Configuration()
        serverConfiguration.port = port
        let server = Server(
            configuration: serverConfiguration, router: Echo.router(events: Events()), logger: Logger(label: "t"))
        try await server.start()
        // The client comes back by itself within its backoff (at most 200 ms here): until then
        // every call fails fast as UNAVAILABLE, after that the same client answers.
        let start = ContinuousClock.now
        var response: EchoResponse?
        var failures: [RPCError.Code] = []
        while response == nil, ContinuousClock.now - start < .seconds(5) {
            do {
                response = try await client.unary(
                    Echo.unary, EchoRequest.with { $0.message = "back" }, as: EchoResponse.self)
            } catch let error as RPCError {
                failures.append(error.code)
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(response?.message == "back", "no answer within 5 s; failures: \(failures)")
        #expect(failures.allSatisfy { $0 == .unavailable })
        await client.close()
        await server.shutdownGracefully()
    }
}
