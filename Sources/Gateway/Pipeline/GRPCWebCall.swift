import HTTP2
import NIOCore
import RPC
import Upstream

/// One gRPC-Web call (unary or server streaming, what browsers can make), translated to gRPC on
/// the cluster that serves its service: the request body (bounded, decoded from base64 in text
/// mode) goes upstream as it is, and the response streams back as it comes: the backend's head
/// as the answer's head, its frames as body parts (base64 per part in text mode), its status and
/// trailers as the last frame (flag 0x80). A trailers-only backend answer, or a failure before
/// any message, is a head-only answer with `grpc-status` in the headers (the spec allows both).
///
/// Backpressure and cancellation as for REST streams: the backend's window reopens as the
/// client's connection takes the parts, and a client that goes away cancels the backend call.
final class GRPCWebCall: UpstreamStreamDelegate {
    private unowned let pipeline: GatewayPipeline
    private let exchange: Exchange
    private let format: GRPCWebFormat
    private var upstream: UpstreamStream?
    private var started = false
    private var heldBytes = 0
    private var bytesOut = 0

    init(pipeline: GatewayPipeline, exchange: Exchange, format: GRPCWebFormat) {
        self.pipeline = pipeline
        self.exchange = exchange
        self.format = format
    }

    func start(
        pool: LoopPool, path: String, method: MethodDescriptor, headers: [Header], request: ByteBuffer,
        deadline: NIODeadline
    ) {
        let upstream = pool.stream(path: path, method: method, headers: headers, deadline: deadline, delegate: self)
        guard !upstream.isFinished else { return }
        self.upstream = upstream
        upstream.write(request, endStream: true)
        // Both closures hold this call until `release()` drops them (at its end, either way).
        self.exchange.onCancel = {
            self.upstream?.cancel()
            self.release()
        }
        self.exchange.onWritable = { self.resume() }
    }

    // MARK: UpstreamStreamDelegate

    func upstreamStream(_ stream: UpstreamStream, receivedHead headers: [Header]) {
        guard !self.exchange.isFinished else { return }
        self.started = true
        var fields: [(name: String, value: String)] = [("content-type", self.format.contentType)]
        for header in headers where !header.token.isProtocol && header.token != .authorization {
            fields.append((header.name, header.value))
        }
        self.exchange.startStream(GatewayResponse(status: 200, headers: fields))
    }

    func upstreamStream(_ stream: UpstreamStream, receivedData data: ByteBuffer) {
        guard !self.exchange.isFinished else {
            stream.consume(data.readableBytes)
            return
        }
        let part = self.format == .text ? GRPCWebText.encode(data) : data
        self.bytesOut += part.readableBytes
        self.exchange.stream(part)
        if self.exchange.isStreamWritable {
            stream.consume(data.readableBytes)
        } else {
            self.heldBytes += data.readableBytes
        }
    }

    func upstreamStream(_ stream: UpstreamStream, writabilityChanged isWritable: Bool) {}

    func upstreamStream(_ stream: UpstreamStream, finished end: UpstreamStream.End) {
        defer { self.release() }
        guard !self.exchange.isFinished else { return }
        var fields: [(name: String, value: String)] = []
        switch end {
        case .status(let code, let trailers, _):
            fields.append(("grpc-status", String(code.rawValue)))
            for header in trailers
            where header.token != .grpcStatus
                && (!header.token.isProtocol || header.token == .grpcMessage || header.token == .grpcStatusDetails)
            {
                fields.append((header.name, header.value))
            }
        case .failed(let failure):
            fields.append(("grpc-status", String(failure.code.rawValue)))
            let message = failure.failure.error.message
            if !message.isEmpty { fields.append(("grpc-message", PercentEncoding.encode(message))) }
        }
        guard self.started else {
            // Trailers-only: the status in the head, no body.
            var head: [(name: String, value: String)] = [("content-type", self.format.contentType)]
            head.append(contentsOf: fields)
            self.pipeline.respond(self.exchange, GatewayResponse(status: 200, headers: head))
            return
        }
        let frame = self.format.trailerFrame(fields)
        let part = self.format == .text ? GRPCWebText.encode(frame) : frame
        self.bytesOut += part.readableBytes
        self.exchange.stream(part)
        self.exchange.endStream()
        self.pipeline.record(self.exchange, GatewayResponse(status: 200), bytesOut: self.bytesOut)
    }

    private func resume() {
        guard self.heldBytes > 0, let upstream = self.upstream else { return }
        let bytes = self.heldBytes
        self.heldBytes = 0
        upstream.consume(bytes)
    }

    private func release() {
        self.exchange.onWritable = nil
        self.exchange.onCancel = nil
        self.upstream = nil
    }
}
