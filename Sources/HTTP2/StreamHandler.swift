package import NIOCore

/// Receives one HTTP/2 stream's events, always on the connection's event loop.
package protocol StreamHandler: AnyObject {
    /// A complete header block: the request or response head first, trailers after DATA.
    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool)
    /// A chunk of DATA. Call `stream.consume(_:)` once it is processed to reopen the window.
    func streamReceivedData(_ stream: Stream, data: ByteBuffer)
    /// The peer ended its side (END_STREAM on a DATA frame).
    func streamReceivedEnd(_ stream: Stream)
    /// The stream is closed; the last event it gets.
    func streamClosed(_ stream: Stream, reason: CloseReason)
    /// Queued outbound bytes crossed the stream's high watermark (false) or drained below it (true).
    func streamWritabilityChanged(_ stream: Stream, isWritable: Bool)
}

extension StreamHandler {
    package func streamWritabilityChanged(_ stream: Stream, isWritable: Bool) {}
}

/// Why a stream closed.
package enum CloseReason: Sendable, Hashable {
    /// Both sides ended it with END_STREAM.
    case normal
    /// RST_STREAM from either side, or a GOAWAY that left it unprocessed (`.refusedStream`).
    case reset(ErrorCode)
    /// The connection went away under it.
    case connectionLost
}
