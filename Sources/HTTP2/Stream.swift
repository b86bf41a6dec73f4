package import NIOCore

/// One HTTP/2 stream of a `Connection`. Use it only on the connection's event loop.
package final class Stream {
    package internal(set) var id: Int32
    package internal(set) var handler: (any StreamHandler)?
    package let eventLoop: any EventLoop

    /// Unowned and unchecked: a stream not yet closed always has its connection (the connection
    /// closes every stream before it goes), and every use of it below checks `isClosed` first.
    unowned(unsafe) let connection: Connection
    private let writeHighWatermark: Int

    // Outbound: DATA waits here until nghttp2 pulls it through the data source.
    enum Outbound {
        /// No header block sent yet.
        case idle
        /// Headers sent with a data source; more DATA may come.
        case open
        /// Nothing more will be appended; trailers (if any) follow the last DATA.
        case ending(trailers: [Header]?)
        /// END_STREAM is on its way or sent.
        case ended
    }
    var outbound = Outbound.idle
    var queued = OutboundQueue()
    var queuedBytes = 0
    /// The data source answered DEFERRED and waits for `resumeData`.
    var deferred = false
    var reportedUnwritable = false

    // Inbound
    var unconsumedBytes = 0
    var isClosed = false

    init(id: Int32, connection: Connection) {
        self.id = id
        self.connection = connection
        self.eventLoop = connection.eventLoop
        self.writeHighWatermark = connection.configuration.streamWriteHighWatermark
    }

    /// False while queued outbound bytes are above the configured high watermark.
    package var isWritable: Bool {
        self.queuedBytes < self.writeHighWatermark
    }

    /// Sends the response head (server role). With `endStream`, the response is headers only.
    package func sendHeaders(_ headers: [Header], endStream: Bool) {
        guard !self.isClosed, case .idle = self.outbound else { return }
        self.outbound = endStream ? .ended : .open
        self.connection.submitResponse(self, headers: headers, withBody: !endStream)
    }

    /// Queues DATA; with `endStream` it is the last (a client ends its request this way).
    package func write(_ data: ByteBuffer, endStream: Bool = false) {
        guard !self.isClosed, case .open = self.outbound else { return }
        if data.readableBytes > 0 {
            self.queuedBytes += data.readableBytes
            self.queued.append(data)
        }
        if endStream { self.outbound = .ending(trailers: nil) }
        self.dataAvailable()
    }

    /// Ends the stream with trailers after the queued DATA (server role).
    package func sendTrailers(_ trailers: [Header]) {
        guard !self.isClosed else { return }
        switch self.outbound {
        case .idle:
            // Trailers-only: the trailers are the response head.
            self.outbound = .ended
            self.connection.submitResponse(self, headers: trailers, withBody: false)
        case .open:
            self.outbound = .ending(trailers: trailers)
            self.dataAvailable()
        case .ending, .ended:
            return
        }
    }

    /// True once this side has ended (END_STREAM queued or sent, or reset).
    package var hasEndedOutbound: Bool {
        switch self.outbound {
        case .ending, .ended: true
        case .idle, .open: false
        }
    }

    /// Ends this side when the exchange is over: END_STREAM if nothing is queued (no reset for
    /// the peer to count), RST_STREAM CANCEL if queued DATA would otherwise still have to go out.
    package func finishOutbound() {
        guard !self.isClosed, !self.hasEndedOutbound else { return }
        if self.queuedBytes == 0, case .open = self.outbound {
            self.write(ByteBuffer(), endStream: true)
        } else {
            self.reset(.cancel)
        }
    }

    /// Resets the stream with RST_STREAM.
    package func reset(_ code: ErrorCode = .cancel) {
        guard !self.isClosed else { return }
        self.outbound = .ended
        self.connection.submitReset(self, code: code)
    }

    /// Reopens `bytes` of receive window: the application has processed that much DATA.
    package func consume(_ bytes: Int) {
        let bytes = min(bytes, self.unconsumedBytes)
        guard bytes > 0, !self.isClosed else { return }
        self.unconsumedBytes -= bytes
        self.connection.consume(self, bytes: bytes)
    }

    private func dataAvailable() {
        guard !self.isClosed else { return }
        if self.deferred {
            self.deferred = false
            self.connection.resumeData(self)
        } else {
            self.connection.scheduleFlush()
        }
        if !self.reportedUnwritable, !self.isWritable {
            self.reportedUnwritable = true
            self.handler?.streamWritabilityChanged(self, isWritable: false)
        }
    }

    /// Takes `count` queued bytes off the front, as slices (no copy).
    func dequeue(_ count: Int, into sink: (ByteBuffer) -> Void) {
        var remaining = count
        while remaining > 0, var first = self.queued.first {
            if first.readableBytes <= remaining {
                remaining -= first.readableBytes
                sink(self.queued.removeFirst())
            } else {
                sink(first.readSlice(length: remaining)!)
                self.queued.replaceFirst(first)
                remaining = 0
            }
        }
        self.queuedBytes -= count
        if self.reportedUnwritable, self.isWritable {
            self.reportedUnwritable = false
            self.connection.noteWritable(self)
        }
    }
}
