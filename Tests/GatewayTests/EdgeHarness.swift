import Foundation
import Gateway
import HTTP2
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import RPC

/// An edge server on a free port with `TestPipeline`, and raw clients for it.
struct EdgeHarness {
    let group: MultiThreadedEventLoopGroup
    let server: EdgeServer
    var port: Int { self.server.localAddress!.port! }

    static func with(_ body: (EdgeHarness) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await Self.serve(on: group, body)
        } catch {
            try await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    /// Runs `body` against a server on `group`; the server is released when this returns, while
    /// the loop still runs (its quiescing helper completes a promise there when it goes).
    private static func serve(
        on group: MultiThreadedEventLoopGroup, _ body: (EdgeHarness) async throws -> Void
    ) async throws {
        var configuration = EdgeServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.drainTimeout = .milliseconds(200)
        let server = try await EdgeServer.start(configuration: configuration, group: group) { _ in
            EdgeServer.LoopContext(pipeline: TestPipeline())
        }
        do {
            try await body(EdgeHarness(group: group, server: server))
        } catch {
            await server.shutdownGracefully()
            throw error
        }
        await server.shutdownGracefully()
    }

    /// One parsed HTTP/1.1 response.
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Writes `text` on a new connection and reads responses until `expect` arrived, the server
    /// closed, or two seconds passed.
    func send(_ text: String, expect: Int = 1) async throws -> [Reply] {
        let collector = ByteCollector()
        let channel = try await ClientBootstrap(group: self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: self.port).get()
        try await channel.writeAndFlush(ByteBuffer(string: text))
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(2) {
            let (bytes, closed) = collector.state
            let replies = Self.parse(bytes)
            if replies.count >= expect || closed { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        try? await channel.close()
        return Self.parse(collector.state.bytes)
    }

    static func parse(_ bytes: [UInt8]) -> [Reply] {
        var replies: [Reply] = []
        var rest = bytes[...]
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while let end = rest.firstRange(of: separator) {
            let head = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { break }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = end.upperBound
            guard rest.distance(from: bodyStart, to: rest.endIndex) >= length else { break }
            let bodyEnd = rest.index(bodyStart, offsetBy: length)
            replies.append(
                Reply(
                    status: status, headers: headers, body: String(decoding: rest[bodyStart..<bodyEnd], as: UTF8.self)))
            rest = rest[bodyEnd...]
        }
        return replies
    }

    /// One HTTP/2 request with prior knowledge on a new connection: status, body, x-request-id.
    func http2Request(method: String, path: String, body: String) async throws -> (String?, String, String?) {
        let channel = try await ClientBootstrap(group: self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(role: .client, configuration: .client, delegate: nil))
                }
            }
            .connect(host: "127.0.0.1", port: self.port).get()
        let result = try await channel.eventLoop.flatSubmit {
            let connection = try! channel.pipeline.syncOperations.handler(type: Connection.self)
            let promise = channel.eventLoop.makePromise(of: ResponseCollector.Result.self)
            let collector = ResponseCollector(promise: promise)
            do {
                let stream = try connection.openStream(
                    headers: [
                        Header(":method", method), Header(":scheme", "http"), Header(":path", path),
                        Header(":authority", "test"), Header("content-type", "application/json"),
                    ], endStream: false, handler: collector)
                stream.write(ByteBuffer(string: body), endStream: true)
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }.get()
        try? await channel.close()
        return (result.status, result.body, result.requestID)
    }
}

/// Collects everything a connection receives.
final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let storage = NIOLockedValueBox((bytes: [UInt8](), closed: false))

    var state: (bytes: [UInt8], closed: Bool) { self.storage.withLockedValue { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        self.storage.withLockedValue { $0.bytes += buffer.readableBytesView }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.storage.withLockedValue { $0.closed = true }
    }
}

/// HTTP/2 client stream: collects status, body and request id.
final class ResponseCollector: StreamHandler {
    struct Result: Sendable {
        var status: String?
        var body: String
        var requestID: String?
    }

    let promise: EventLoopPromise<Result>
    var result = Result(status: nil, body: "", requestID: nil)
    var done = false

    init(promise: EventLoopPromise<Result>) { self.promise = promise }

    func streamReceivedHeaders(_ stream: HTTP2.Stream, headers: [Header], endStream: Bool) {
        if self.result.status == nil {
            self.result.status = headers.first(":status")
            self.result.requestID = headers.first("x-request-id")
        }
        if endStream { self.finish() }
    }

    func streamReceivedData(_ stream: HTTP2.Stream, data: ByteBuffer) {
        stream.consume(data.readableBytes)
        self.result.body += String(buffer: data)
    }

    func streamReceivedEnd(_ stream: HTTP2.Stream) { self.finish() }

    func streamClosed(_ stream: HTTP2.Stream, reason: CloseReason) {
        guard !self.done else { return }
        self.done = true
        self.promise.fail(ChannelError.ioOnClosedChannel)
    }

    private func finish() {
        guard !self.done else { return }
        self.done = true
        self.promise.succeed(self.result)
    }
}

/// The edge tests' pipeline: `GET /echo` answers "ok"; `POST /echo` echoes up to 16 body bytes;
/// `GET /slow` answers "slow" on a later turn of the loop (so later requests wait); anything else
/// is 404 before the body is read.
final class TestPipeline: RequestPipeline {
    func admit(_ exchange: Exchange) -> Admission {
        if exchange.request.path == "/slow" { return .readBody(limit: 0) }
        guard exchange.request.path == "/echo" else {
            return .respond(
                Problem(code: .notFound, detail: "no such route").response(requestID: exchange.request.requestID))
        }
        return exchange.request.method == .POST
            ? .readBody(limit: 16) : .respond(GatewayResponse(status: 200, body: ByteBuffer(string: "ok")))
    }

    func handle(_ exchange: Exchange) {
        guard exchange.request.path == "/slow" else {
            exchange.respond(GatewayResponse(status: 200, body: exchange.request.body))
            return
        }
        MultiThreadedEventLoopGroup.currentEventLoop!.assumeIsolated().scheduleTask(in: .milliseconds(50)) {
            exchange.respond(GatewayResponse(status: 200, body: ByteBuffer(string: "slow")))
        }
    }
}
