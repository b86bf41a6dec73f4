import ArgumentParser
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RPC
import Upstream

/// `halo-floor-bench`: the least a gateway built as Halo is (SwiftNIO at the edge, Halo's gRPC
/// client on nghttp2 upstream) can cost per request, for Benchmarks/gateway-rest.sh to measure
/// beside halo-gateway and grpc-gateway in the same rounds (and gateway-callgrind.sh to count).
///
/// - `--mode fixed`: SwiftNIO's HTTP/1.1 request decoder and nothing else; every request is
///   answered with one preformatted buffer (the same body halo-gateway gives for the get route).
///   This is the floor of a SwiftNIO HTTP/1.1 edge: what issue 12's budget calls "7.2 µs".
/// - `--mode grpc`: the same edge, plus one unary gRPC call per request over Halo's client
///   connection (nghttp2) to `--upstream`, whose response message goes back as the body, unread.
///   No routing, no authentication, no transcoding, no JSON, no metrics, no log: the floor of a
///   REST-to-gRPC gateway built on SwiftNIO and Halo's client connection, as DESIGN.md builds Halo.
///
/// Not product code: it answers any request the same way, and checks nothing a gateway must.
@main
struct FloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "halo-floor-bench",
        abstract: "A bare HTTP/1.1 server on SwiftNIO, optionally making one gRPC call per request.")

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case fixed, grpc
    }

    @Option(help: "Listen address, host:port.") var listen = "127.0.0.1:8099"
    @Option(help: "fixed (a preformatted answer) or grpc (one unary call per request).") var mode = Mode.fixed
    @Option(help: "The gRPC backend, host:port (mode grpc).") var upstream = "127.0.0.1:9090"
    @Option(help: "The method's :path (mode grpc).") var path = "/demo.v1.VideoService/GetVideo"
    @Option(help: "The request message, hex (mode grpc; default GetVideoRequest{id: 1}).") var requestHex = "0801"
    @Option(help: "Event loops (default: one per core, as halo-gateway).") var threads = System.coreCount

    func run() async throws {
        guard let address = ClusterConfiguration.Endpoint(self.listen) else {
            throw ValidationError("listen must be host:port")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads)
        let upstreams = try await self.connectUpstreams(group)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let answer: FloorHandler.Answer =
                        if let upstream = upstreams[ObjectIdentifier(channel.eventLoop)] {
                            .grpc(upstream.value)
                        } else {
                            .fixed(Self.fixedAnswer)
                        }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
                    try channel.pipeline.syncOperations.addHandler(FloorHandler(answer: answer))
                }
            }
            .bind(host: address.host, port: address.port).get()
        print("halo-floor-bench: \(self.mode.rawValue) on \(self.listen)")
        try await channel.closeFuture.get()
    }

    /// One connection to the backend per loop, ready before the first request (mode grpc).
    private func connectUpstreams(
        _ group: MultiThreadedEventLoopGroup
    ) async throws -> [ObjectIdentifier: NIOLoopBound<FloorUpstream>] {
        guard self.mode == .grpc else { return [:] }
        guard let endpoint = ClusterConfiguration.Endpoint(self.upstream) else {
            throw ValidationError("upstream must be host:port")
        }
        let parts = self.path.split(separator: "/")
        guard parts.count == 2 else { throw ValidationError("path must be /service/method") }
        guard let messageBytes = Self.bytes(hex: self.requestHex) else {
            throw ValidationError("request-hex is not hex")
        }
        let method = MethodDescriptor(service: String(parts[0]), method: String(parts[1]), isIdempotent: true)
        var request = RequestMessage(capacity: messageBytes.count)
        request.buffer.writeBytes(messageBytes)
        let framed = request.framed()
        let socketAddress = try SocketAddress(ipAddress: endpoint.host, port: endpoint.port)
        let logger = {
            var logger = Logger(label: "halo.floor-bench")
            logger.logLevel = .warning
            return logger
        }()

        var upstreams: [ObjectIdentifier: NIOLoopBound<FloorUpstream>] = [:]
        for loop in group.makeIterator() {
            let connected = try await loop.flatSubmit {
                let subchannel = Subchannel(
                    address: socketAddress, authority: endpoint.description, eventLoop: loop,
                    configuration: .defaults, logger: logger)
                let ready = loop.makePromise(of: Void.self)
                var isReady = false
                subchannel.onStateChange = { _, state in
                    guard state == .ready, !isReady else { return }
                    isReady = true
                    ready.succeed()
                }
                let timeout = loop.scheduleTask(in: .seconds(10)) {
                    ready.fail(NoConnection(endpoint: endpoint.description))
                }
                subchannel.connect()
                let upstream = NIOLoopBound(
                    FloorUpstream(subchannel: subchannel, method: method, framedRequest: framed), eventLoop: loop)
                return ready.futureResult.map {
                    timeout.cancel()
                    return upstream
                }
            }.get()
            upstreams[ObjectIdentifier(loop)] = connected
        }
        return upstreams
    }

    /// What halo-gateway answers GET /v1/videos/1 with, in the benchmark's configuration.
    static let fixedAnswer: ByteBuffer = {
        let body = #"{"id":"1","title":"Video number 1","views":"1000"}"#
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
            + "x-request-id: 00000000000000000000000000000000\r\n\r\n"
        return ByteBuffer(string: head + body)
    }()

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}

/// One loop's connection to the backend and the call every request makes on it.
final class FloorUpstream {
    let subchannel: Subchannel
    let method: MethodDescriptor
    let framedRequest: ByteBuffer

    init(subchannel: Subchannel, method: MethodDescriptor, framedRequest: ByteBuffer) {
        self.subchannel = subchannel
        self.method = method
        self.framedRequest = framedRequest
    }
}

/// The backend did not answer within 10 s (mode grpc): said plainly, without the usage text.
struct NoConnection: Error, CustomStringConvertible {
    let endpoint: String
    var description: String { "no connection to \(self.endpoint) within 10 s" }
}
