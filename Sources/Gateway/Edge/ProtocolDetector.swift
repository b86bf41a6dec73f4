import NIOCore

/// Tells HTTP/2 with prior knowledge from HTTP/1.1 on one port by the first bytes of the
/// connection (RFC 9113 §3.3: the client preface), installs the matching handlers after itself,
/// hands them what it read, and removes itself.
final class ProtocolDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Detected { case http1, http2 }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let install: (ChannelHandlerContext, Detected) throws -> Void
    private var buffered: ByteBuffer?

    /// `install` adds the handlers for the detected protocol after this one.
    init(install: @escaping (ChannelHandlerContext, Detected) throws -> Void) {
        self.install = install
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = Self.unwrapInboundIn(data)
        if self.buffered == nil {
            self.buffered = incoming
        } else {
            self.buffered!.writeBuffer(&incoming)
        }
        guard let detected = Self.detect(self.buffered!) else { return }
        let buffered = self.buffered!
        self.buffered = nil
        do {
            try self.install(context, detected)
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(Self.wrapInboundOut(buffered))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// HTTP/2 once all 24 preface bytes match, HTTP/1.1 at the first byte that does not, nil
    /// while the bytes so far are a prefix of the preface.
    static func detect(_ bytes: ByteBuffer) -> Detected? {
        let count = min(bytes.readableBytes, Self.preface.count)
        let matches = bytes.withUnsafeReadableBytes { raw in
            raw.prefix(count).elementsEqual(Self.preface.prefix(count))
        }
        if !matches { return .http1 }
        return count == Self.preface.count ? .http2 : nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.buffered = nil
        context.fireChannelInactive()
    }
}
