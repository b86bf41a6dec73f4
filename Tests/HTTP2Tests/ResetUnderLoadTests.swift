import HTTP2
import NIOCore
import NIOPosix
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A backend that restarts under load, seen from the client role over real sockets: the server
/// resets the TCP connection (RST, SO_LINGER 0) while 100 streams are in flight and the client is
/// still opening streams and writing DATA. Run under AddressSanitizer by `make test-asan`.
@Suite("HTTP/2 connection reset under load (real sockets)")
struct ResetUnderLoadTests {
    static let streamsBeforeReset = 100

    @Test("a TCP reset with 100 streams in flight closes each stream exactly once; a new connection works")
    func resetWithStreamsInFlight() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let delegate = ResettingServerDelegate(resetAfter: Self.streamsBeforeReset, channel: channel)
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(role: .server, configuration: Configuration(), delegate: delegate))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()

        let first = try await Self.connect(group: group, to: server.localAddress!)
        let tally = try await first.eventLoop.flatSubmit {
            let connection = try! first.pipeline.syncOperations.handler(type: Connection.self)
            let load = LoadGenerator(connection: connection)
            load.start()
            return first.closeFuture.assumeIsolated().flatMap {
                // The load goes on writing for a while after the close; then count.
                first.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { load.tally }.futureResult
            }.nonisolated()
        }.get()

        #expect(tally.opened >= Self.streamsBeforeReset)
        #expect(tally.closedOnce == tally.opened)
        #expect(tally.closedTwice == 0)
        #expect(tally.writesAfterClose > 0)

        // The process keeps serving: a new connection to the same server answers.
        let second = try await Self.connect(group: group, to: server.localAddress!)
        let status = try await second.eventLoop.flatSubmit {
            let connection = try! second.pipeline.syncOperations.handler(type: Connection.self)
            let promise = second.eventLoop.makePromise(of: String?.self)
            let handler = StatusHandler(promise: promise)
            do {
                let stream = try connection.openStream(
                    headers: [
                        Header(":method", "GET"), Header(":scheme", "http"), Header(":path", "/ok"),
                        Header(":authority", "test"),
                    ], endStream: true, handler: handler)
                _ = stream
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }.get()
        #expect(status == "200")

        try await second.close()
        try await server.close()
        try await group.shutdownGracefully()
    }

    static func connect(group: MultiThreadedEventLoopGroup, to address: SocketAddress) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(role: .client, configuration: .client, delegate: nil))
                }
            }
            .connect(to: address).get()
        return channel
    }
}

/// Server side: the first connection is reset with RST once `resetAfter` streams arrived; every
/// stream on a later connection is answered 200 at once.
final class ResettingServerDelegate: ConnectionDelegate {
    static let connections = Atomic<Int>(0)
    let resetAfter: Int
    let channel: any Channel
    let isFirst: Bool
    var accepted = 0

    init(resetAfter: Int, channel: any Channel) {
        self.resetAfter = resetAfter
        self.channel = channel
        self.isFirst = Self.connections.add(1, ordering: .relaxed).oldValue == 0
    }

    func connection(
        _ connection: Connection, acceptStream stream: Stream, headers: [Header], endStream: Bool
    ) -> (any StreamHandler)? {
        self.accepted += 1
        guard self.isFirst else { return EarlyResponder() }
        if self.accepted == self.resetAfter {
            // SO_LINGER 0: close() sends RST, as a killed backend's kernel does.
            let channel = self.channel
            let socket = channel as! any SocketOptionProvider
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
        return CountingHandler()
    }
}

/// Client side: opens streams and keeps writing DATA on every open one, every millisecond, until
/// the connection refuses new streams; counts how each stream closed.
final class LoadGenerator {
    struct Tally: Sendable {
        var opened = 0
        var closedOnce = 0
        var closedTwice = 0
        var writesAfterClose = 0
    }

    let connection: Connection
    var streams: [(Stream, CountingHandler)] = []
    private var tallyAtClose = Tally()

    init(connection: Connection) { self.connection = connection }

    var tally: Tally {
        var tally = self.tallyAtClose
        tally.opened = self.streams.count
        tally.closedOnce = self.streams.filter { $0.1.closes.count == 1 }.count
        tally.closedTwice = self.streams.filter { $0.1.closes.count > 1 }.count
        return tally
    }

    func start() { self.tick() }

    private func tick() {
        let connectionOpen = self.connection.isAcceptingStreams
        for _ in 0..<10 where connectionOpen {
            let handler = CountingHandler()
            let headers = [
                Header(":method", "POST"), Header(":scheme", "http"), Header(":path", "/load"),
                Header(":authority", "test"),
            ]
            guard let stream = try? self.connection.openStream(headers: headers, endStream: false, handler: handler)
            else { break }
            self.streams.append((stream, handler))
        }
        for (stream, handler) in self.streams {
            if !handler.closes.isEmpty { self.tallyAtClose.writesAfterClose += 1 }
            stream.write(ByteBuffer(repeating: 9, count: 512))
        }
        // Go on for a while after the close: late writes must be harmless.
        guard connectionOpen || self.tallyAtClose.writesAfterClose < 2_000 else { return }
        self.connection.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) { self.tick() }
    }
}

/// Client handler: completes with the response's :status.
final class StatusHandler: StreamHandler {
    let promise: EventLoopPromise<String?>
    var answered = false
    init(promise: EventLoopPromise<String?>) { self.promise = promise }
    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        guard !self.answered else { return }
        self.answered = true
        self.promise.succeed(headers.first(":status"))
    }
    func streamReceivedData(_ stream: Stream, data: ByteBuffer) { stream.consume(data.readableBytes) }
    func streamReceivedEnd(_ stream: Stream) {}
    func streamClosed(_ stream: Stream, reason: CloseReason) {
        guard !self.answered else { return }
        self.answered = true
        self.promise.fail(ChannelError.ioOnClosedChannel)
    }
}
