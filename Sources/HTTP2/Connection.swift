import CNGHTTP2
package import NIOCore

/// An HTTP/2 connection (server or client role) on nghttp2, as one channel handler.
///
/// Add it to a channel's pipeline right after the socket (or TLS). Everything happens on the
/// channel's event loop: reads go through nghttp2 and out to `StreamHandler`s inline; writes are
/// pulled by nghttp2 and flushed once per read burst (or once per loop tick for writes made
/// outside a read). Inbound backpressure is HTTP/2 flow control: receive window is given back
/// only when a stream handler calls `Stream.consume`. Outbound: nothing is pulled from nghttp2
/// while the channel is not writable, and reads stop until it is.
package final class Connection: ChannelDuplexHandler {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundIn = Never
    package typealias OutboundOut = ByteBuffer

    package enum Role: Sendable { case server, client }

    package let role: Role
    package let configuration: Configuration
    package var delegate: (any ConnectionDelegate)?

    /// The nghttp2 session: created in `handlerAdded`, released when the channel closes, so no
    /// nghttp2 call (and no callback into a stream) can happen after close.
    var session: Session?
    var streams: [Int32: Stream] = [:]
    /// The stream found last (see `stream(_:)`).
    var lastStream: Stream?
    package private(set) var context: ChannelHandlerContext?
    package private(set) var eventLoop: (any EventLoop)!

    // Output: frames accumulate here and go out in one write per flush. After a write the
    // buffer still refers to the bytes handed to the channel; `reclaimOutput` empties it before
    // the next frame, reusing the storage once the socket has taken them (copy-on-write gives
    // fresh storage while they still wait), so a flush costs no allocation.
    private(set) var output = ByteBuffer()
    private var outputHandedOff = false
    private static let keptOutputCapacity = 64 << 10
    private var inReceive = false
    private var flushScheduled = false
    private var pendingRead = false
    private var writableStreams: [Stream] = []

    // Input: the buffer being fed, so DATA can be handed out as slices of it.
    var input: ByteBuffer?
    var inputBase: UnsafeRawPointer?

    // The header block being received. Blocks never interleave (HEADERS and its CONTINUATIONs
    // are contiguous on a connection), so one array serves every stream; its storage is reused
    // for the next block when the handler kept no copy.
    var headerBlock: [Header] = []
    var headerBlockSize = 0
    var headerBlockRejected = false

    // Lifecycle and limits.
    var resetLimiter: TokenBucket
    var oversizedHeaderBlocks = 0
    var lifecycle = Lifecycle.active
    var timers = Timers()

    package init(role: Role, configuration: Configuration = Configuration(), delegate: (any ConnectionDelegate)?) {
        self.role = role
        self.configuration = configuration
        self.delegate = delegate
        self.resetLimiter = TokenBucket(
            capacity: configuration.maxResetBurst, refillPerSecond: configuration.resetsPerSecond)
    }

    // MARK: Public surface

    /// Streams now open.
    package var activeStreamCount: Int { self.streams.count }

    /// The peer's limit on concurrent streams we may open (client role).
    package var remoteMaxConcurrentStreams: Int { self.session?.remoteMaxConcurrentStreams ?? 0 }

    /// Bytes in this connection's HPACK dynamic tables: the encoder's (fields this side sent) and
    /// the decoder's (fields the peer sent); zeros once the channel closed.
    package var headerTableSizes: (encoder: Int, decoder: Int) { self.session?.headerTableSizes ?? (0, 0) }

    /// True once the peer's first SETTINGS arrived: only then are its limits known.
    package internal(set) var hasRemoteSettings = false

    /// False once a GOAWAY went either way or the channel closed.
    package var isAcceptingStreams: Bool {
        if case .active = self.lifecycle { return self.context != nil }
        return false
    }

    /// Opens a stream (client role) with a request head; DATA follows through `Stream.write`.
    package func openStream(
        headers: [Header], endStream: Bool, handler: any StreamHandler
    ) throws(StreamError)
        -> Stream
    {
        guard self.role == .client, self.isAcceptingStreams else { throw StreamError.connectionNotReady }
        let stream = Stream(id: -1, connection: self)
        stream.handler = handler
        stream.outbound = endStream ? .ended : .open
        let pointer = Unmanaged.passUnretained(stream).toOpaque()
        guard let session = self.session else { throw StreamError.connectionNotReady }
        let id = session.submitRequest(headers: headers, body: endStream ? nil : pointer, streamData: pointer)
        guard id > 0 else { throw StreamError.refused(code: Int(id)) }
        stream.id = id
        self.streams[id] = stream
        self.lastStream = stream
        self.timers.streamOpened()
        self.scheduleFlush()
        return stream
    }

    // MARK: ChannelHandler

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
        self.output = context.channel.allocator.buffer(capacity: 4096)
        let session = Session(
            role: self.role == .server ? .server : .client, configuration: self.configuration,
            userData: Unmanaged.passUnretained(self).toOpaque())
        session.submitSettings(self.configuration, role: self.role == .server ? .server : .client)
        self.session = session
        if context.channel.isActive { self.start(context: context) }
    }

    package func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !self.timers.started else { return }
        self.startTimers()
        self.flush()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.lifecycle = .closed
        self.closeAllStreams()
        self.timers.cancelAll()
        self.session = nil
        self.context = nil
    }

    package func channelInactive(context: ChannelHandlerContext) {
        self.lifecycle = .closed
        self.closeAllStreams()
        self.timers.cancelAll()
        // nghttp2 still holds the closed streams as data sources: a flush queued before the
        // close must find no session (a caller inside a session call keeps it alive until it
        // returns, and finds no streams).
        self.session = nil
        self.delegate?.connectionClosed(self)
        self.delegate = nil
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session = self.session, self.lifecycle.isReadable else { return }
        let buffer = Self.unwrapInboundIn(data)
        self.timers.readSinceTick = true
        self.inReceive = true
        self.input = buffer
        let result = buffer.withUnsafeReadableBytes { bytes in
            self.inputBase = bytes.baseAddress
            return session.receive(bytes)
        }
        self.input = nil
        self.inputBase = nil
        self.inReceive = false
        if result < 0 {
            // A connection error. nghttp2 queues GOAWAY for protocol errors; for floods (too many
            // CONTINUATION frames, unanswered control frames) it only fails, so say it ourselves.
            self.lifecycle = .failed
            session.terminate(code: Self.goAwayCode(forReceiveError: result))
            self.flush()
            context.close(promise: nil)
        }
    }

    private static func goAwayCode(forReceiveError error: Int) -> ErrorCode {
        switch Int32(error) {
        case NGHTTP2_ERR_FLOODED.rawValue, NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue: .enhanceYourCalm
        default: .protocolError
        }
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        self.flush()
        context.fireChannelReadComplete()
    }

    package func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            self.pendingRead = true
        }
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.flush()
            if self.pendingRead {
                self.pendingRead = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.beginGracefulShutdown()
        } else if let goAway = event as? GoAwayEvent {
            self.goAway(keepingOldestStreams: goAway.keepingOldestStreams)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: Output

    /// Flushes soon: at the end of the current read burst, or on the next loop tick.
    func scheduleFlush() {
        guard !self.inReceive, !self.flushScheduled, self.session != nil else { return }
        self.flushScheduled = true
        self.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flush()
        }
    }

    /// Pulls every pending frame out of nghttp2 and writes it, with one flush.
    func flush() {
        guard let context = self.context, let session = self.session else { return }
        while context.channel.isWritable {
            let (bytes, count) = session.nextOutput()
            if count < 0 {
                context.close(promise: nil)
                return
            }
            guard let bytes else { break }
            self.appendOutput(bytes)
        }
        self.writeOutput(context: context)
        context.flush()
        self.deliverWritability()
        self.closeIfFinished(context: context, session: session)
    }

    /// Appends a DATA payload slice: small ones are copied into the frame buffer, large ones
    /// are written as they are.
    func appendPayload(_ slice: ByteBuffer) {
        if slice.readableBytes < 2048 {
            self.reclaimOutput()
            self.output.writeImmutableBuffer(slice)
        } else if let context = self.context {
            self.writeOutput(context: context)
            context.write(Self.wrapOutboundOut(slice), promise: nil)
        }
    }

    private func writeOutput(context: ChannelHandlerContext) {
        guard !self.outputHandedOff, self.output.readableBytes > 0 else { return }
        context.write(Self.wrapOutboundOut(self.output), promise: nil)
        self.outputHandedOff = true
    }

    /// Appends frame bytes to the output.
    func appendOutput(_ bytes: UnsafeRawBufferPointer) {
        self.reclaimOutput()
        self.output.writeBytes(bytes)
    }

    /// Empties the output after a write handed its bytes to the channel (see `output`).
    private func reclaimOutput() {
        guard self.outputHandedOff else { return }
        self.outputHandedOff = false
        if self.output.capacity > Self.keptOutputCapacity {
            self.output = ByteBufferAllocator().buffer(capacity: 4096)
        } else {
            self.output.clear()
        }
    }

    func noteWritable(_ stream: Stream) {
        self.writableStreams.append(stream)
    }

    private func deliverWritability() {
        guard !self.writableStreams.isEmpty else { return }
        let streams = self.writableStreams
        self.writableStreams.removeAll(keepingCapacity: true)
        for stream in streams where !stream.isClosed {
            stream.handler?.streamWritabilityChanged(stream, isWritable: true)
        }
    }

    private func closeIfFinished(context: ChannelHandlerContext, session: Session) {
        let drained: Bool
        switch self.lifecycle {
        case .active: drained = false
        case .draining(let goAwaySent): drained = goAwaySent && self.streams.isEmpty
        case .failed, .closed: drained = true
        }
        if drained || (!session.wantsRead && !session.wantsWrite) {
            self.lifecycle = .closed
            context.close(promise: nil)
        }
    }

    // MARK: Stream operations (from Stream)

    func submitResponse(_ stream: Stream, headers: [Header], withBody: Bool) {
        guard let session = self.session else { return }
        let source = withBody ? Unmanaged.passUnretained(stream).toOpaque() : nil
        if session.submitResponse(streamID: stream.id, headers: headers, body: source) != 0 {
            session.submitReset(streamID: stream.id, code: .internalError)
        }
        self.scheduleFlush()
    }

    func submitReset(_ stream: Stream, code: ErrorCode) {
        self.session?.submitReset(streamID: stream.id, code: code)
        self.scheduleFlush()
    }

    func resumeData(_ stream: Stream) {
        self.session?.resumeData(streamID: stream.id)
        self.scheduleFlush()
    }

    func consume(_ stream: Stream, bytes: Int) {
        self.session?.consume(streamID: stream.id, bytes: bytes)
        self.scheduleFlush()
    }

    private func closeAllStreams() {
        let streams = self.streams
        self.streams.removeAll()
        self.lastStream = nil
        for stream in streams.values {
            stream.isClosed = true
            stream.handler?.streamClosed(stream, reason: .connectionLost)
            stream.handler = nil
        }
    }
}

/// Why a stream could not be opened.
package enum StreamError: Error, Hashable {
    /// The connection is not open, or is draining after a GOAWAY.
    case connectionNotReady
    /// nghttp2 refused the stream (for instance, stream ids ran out).
    case refused(code: Int)
}
