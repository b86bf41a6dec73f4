import Foundation
import HTTP2
import NIOCore
import RPC
import Transcoding
import Upstream

/// One server-streaming method answered over REST (`StreamFormat`): each response message is
/// transcoded to JSON as it arrives and written as one event or line, flushed at once.
///
/// The answer's head waits for the first message, so an error before it gets its real HTTP status
/// and a problem body; an error after it ends the stream with an error event. Backpressure: the
/// backend's window reopens only as the client's connection takes what was written, so a slow
/// reader slows the backend instead of growing a buffer here. A client that goes away cancels
/// the backend stream. Runs on the exchange's event loop.
final class ServerStreamingCall: UpstreamStreamDelegate {
    /// The largest response message accepted (a bound on what one message can make us hold).
    static let maxMessageBytes = 4 << 20

    private unowned let pipeline: GatewayPipeline
    private let exchange: Exchange
    private let binding: GatewayState.Binding
    private let transcoder: Transcoder
    private let format: StreamFormat
    private let allocator: ByteBufferAllocator
    private var upstream: UpstreamStream?
    private var started = false
    /// Bytes of a message split across DATA frames, until it is whole.
    private var partial: ByteBuffer?
    /// Backend bytes written to the client but not yet given back as window (the client is slow).
    private var heldBytes = 0
    private var bytesOut = 0
    private var scratch: [UInt8] = []

    init(
        pipeline: GatewayPipeline, exchange: Exchange, binding: GatewayState.Binding, transcoder: Transcoder,
        format: StreamFormat, allocator: ByteBufferAllocator
    ) {
        self.pipeline = pipeline
        self.exchange = exchange
        self.binding = binding
        self.transcoder = transcoder
        self.format = format
        self.allocator = allocator
    }

    /// Calls the backend with the transcoded request.
    func start(pool: LoopPool, request: ByteBuffer, metadata: Metadata, deadline: NIODeadline) {
        var headers: [Header] = [Header("content-type", "application/grpc"), Header("te", "trailers")]
        for (key, value) in metadata.entries {
            switch value {
            case .string(let text): headers.append(Header(key, text))
            case .binary(let bytes): headers.append(Header(key, Data(bytes).base64EncodedString()))
            }
        }
        let upstream = pool.stream(
            path: self.binding.method.path, method: self.binding.method, headers: headers, deadline: deadline,
            delegate: self)
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

    func upstreamStream(_ stream: UpstreamStream, receivedHead headers: [Header]) {}

    func upstreamStream(_ stream: UpstreamStream, receivedData data: ByteBuffer) {
        guard !self.exchange.isFinished else {
            stream.consume(data.readableBytes)
            return
        }
        var input: ByteBuffer
        if var partial = self.partial {
            var data = data
            partial.writeBuffer(&data)
            input = partial
            self.partial = nil
        } else {
            input = data
        }
        var out = self.allocator.buffer(capacity: 0)
        while input.readableBytes >= 5 {
            let flag = input.getInteger(at: input.readerIndex, as: UInt8.self)!
            let length = Int(input.getInteger(at: input.readerIndex + 1, as: UInt32.self)!)
            guard flag == 0, length <= Self.maxMessageBytes else {
                self.fail(
                    stream, detail: flag == 0 ? "a backend message is too large" : "a backend message is compressed")
                return
            }
            guard input.readableBytes >= 5 + length else { break }
            input.moveReaderIndex(forwardBy: 5)
            let message = input.readSlice(length: length)!
            self.scratch.removeAll(keepingCapacity: true)
            let transcoded = message.withUnsafeReadableBytes { wire in
                Result { () throws(TranscodingError) in
                    try self.transcoder.responseToJSON(route: self.binding.route, wire: wire, into: &self.scratch)
                }
            }
            guard case .success = transcoded else {
                self.fail(stream, detail: "the backend's answer could not be read")
                return
            }
            self.format.writeMessage(self.scratch, into: &out)
        }
        if input.readableBytes > 0 { self.partial = input }
        if out.readableBytes > 0 {
            self.startIfNeeded()
            self.bytesOut += out.readableBytes
            self.exchange.stream(out)
        }
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
        switch end {
        case .status(.ok, _, _) where self.partial == nil:
            self.startIfNeeded()
            self.endStream(status: 200)
        case .status(let code, let trailers, _):
            let message = trailers.first(.grpcMessage).map(PercentEncoding.decode) ?? ""
            let error =
                code == .ok
                ? RPCError(code: .internal, message: "the backend's stream ended inside a message")
                : RPCError(code: code, message: message)
            self.answerError(
                UpstreamFailure(
                    reason: .callFailed,
                    failure: CallFailure(
                        error, origin: code == .ok ? .local : .server, processing: .mayHaveBeenProcessed),
                    attempts: 1))
        case .failed(let failure):
            self.answerError(failure)
        }
    }

    // MARK: Answers

    private func startIfNeeded() {
        guard !self.started else { return }
        self.started = true
        self.exchange.startStream(
            GatewayResponse(
                status: 200, headers: [("content-type", self.format.contentType), ("cache-control", "no-cache")]))
    }

    private func answerError(_ failure: UpstreamFailure) {
        let problem = UpstreamProblem.problem(for: failure)
        guard self.started else {
            // Nothing written yet: the real status and a problem body.
            self.pipeline.respond(
                self.exchange, problem.response(requestID: self.exchange.request.requestID, allocator: self.allocator))
            return
        }
        let body = problem.response(requestID: self.exchange.request.requestID, allocator: self.allocator).body
        var out = self.allocator.buffer(capacity: body.readableBytes + 32)
        self.format.writeError(body, into: &out)
        self.bytesOut += out.readableBytes
        self.exchange.stream(out)
        self.endStream(status: problem.status)
    }

    private func endStream(status: Int) {
        self.exchange.endStream()
        self.pipeline.record(self.exchange, GatewayResponse(status: status), bytesOut: self.bytesOut)
    }

    /// Ends the call from here (a message that cannot be passed on): the backend stream is
    /// cancelled and the client told.
    private func fail(_ stream: UpstreamStream, detail: String) {
        let failure = UpstreamFailure(
            reason: .callFailed,
            failure: CallFailure(
                RPCError(code: .internal, message: detail), origin: .local, processing: .mayHaveBeenProcessed),
            attempts: 1)
        self.answerError(failure)
        stream.cancel()
        self.release()
    }

    /// The client took what was written: the backend may send more.
    private func resume() {
        guard self.heldBytes > 0, let upstream = self.upstream else { return }
        let bytes = self.heldBytes
        self.heldBytes = 0
        upstream.consume(bytes)
    }

    /// Breaks the cycle between the exchange and this call once it is over.
    private func release() {
        self.exchange.onWritable = nil
        self.exchange.onCancel = nil
        self.upstream = nil
        self.partial = nil
    }
}
