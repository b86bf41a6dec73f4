/// Settings and limits of one HTTP/2 connection. Defaults are safe for an internet-facing server.
package struct Configuration: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised to the peer (streams it may open at once).
    package var maxConcurrentStreams: Int = 100
    /// SETTINGS_MAX_HEADER_LIST_SIZE, enforced per header block (RFC 9113 size: name + value + 32).
    package var maxHeaderListSize: Int = 16 * 1024
    /// Header fields allowed in one block.
    package var maxHeaderCount: Int = 128
    /// SETTINGS_INITIAL_WINDOW_SIZE: bytes the peer may send on a stream before we consume them.
    package var initialStreamWindowSize: Int = 1 << 20
    /// Connection-level receive window: bounds what one connection can make us buffer.
    package var connectionWindowSize: Int = 16 << 20
    /// SETTINGS_MAX_FRAME_SIZE.
    package var maxFrameSize: Int = 16 * 1024
    /// Outbound bytes a stream may queue before it reports itself unwritable.
    package var streamWriteHighWatermark: Int = 256 * 1024
    /// Rapid-reset guard: resets the peer may cause in a burst, and their refill rate per second.
    /// Past it the connection ends with GOAWAY ENHANCE_YOUR_CALM.
    package var maxResetBurst: Int = 200
    package var resetsPerSecond: Int = 50
    /// Header blocks over the limits the peer may send before the connection ends (HPACK bombs).
    package var maxOversizedHeaderBlocks: Int = 8
    /// Keepalive: a PING after this much inbound silence, and how long to wait for its ACK.
    package var keepalive: Keepalive? = Keepalive()
    /// A connection with no open stream for this long is closed gracefully (nil: never).
    package var idleTimeout: Duration? = .seconds(300)
    /// How long a graceful shutdown waits for open streams before closing anyway.
    package var drainTimeout: Duration = .seconds(30)

    /// `:path` values the server expects (its methods): received paths equal to one of them
    /// share its String instead of allocating a new one.
    package var knownPaths = StringTable([])

    package struct Keepalive: Sendable {
        package var interval: Duration = .seconds(60)
        package var timeout: Duration = .seconds(20)
        package init() {}
        package init(interval: Duration, timeout: Duration) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    package init() {}

    /// Defaults for connections this process makes to its own backends.
    package static var client: Configuration {
        var configuration = Configuration()
        configuration.idleTimeout = nil
        return configuration
    }
}
