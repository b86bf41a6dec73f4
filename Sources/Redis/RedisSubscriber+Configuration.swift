extension RedisSubscriber {
    /// Connection, reconnect policy, keep-alive and buffering for a subscriber.
    package struct Configuration: Sendable {
        /// How to connect.
        package var connection: RedisConnection.Configuration
        /// Delay between reconnect attempts.
        package var backoff: RedisPool.Configuration.Backoff
        /// A PING this often detects a dead server on an idle connection; nil turns it off.
        package var pingInterval: Duration?
        /// Messages buffered for a slow consumer; beyond that the oldest are dropped.
        package var bufferSize: Int

        /// 100 ms to 5 s backoff, a PING every 5 s, 1024 buffered messages.
        package init(
            connection: RedisConnection.Configuration = .defaults,
            backoff: RedisPool.Configuration.Backoff = .init(),
            pingInterval: Duration? = .seconds(5),
            bufferSize: Int = 1024
        ) {
            self.connection = connection
            self.backoff = backoff
            self.pingInterval = pingInterval
            self.bufferSize = max(1, bufferSize)
        }

        /// The defaults, against 127.0.0.1:6379.
        package static var defaults: Configuration { Configuration() }
    }
}
