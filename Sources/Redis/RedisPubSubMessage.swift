package import NIOCore

/// A message published on a channel this subscriber listens to.
package struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on.
    package var channel: String
    /// The pattern that matched, for PSUBSCRIBE deliveries; nil for SUBSCRIBE ones.
    package var pattern: String?
    /// The published bytes.
    package var payload: ByteBuffer

    /// A message from its parts.
    package init(channel: String, pattern: String? = nil, payload: ByteBuffer) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// Parses a `message` or `pmessage` push; nil for any other reply.
    init?(push value: RESPValue) {
        guard case .array(let parts) = value, let kind = parts.first?.string else { return nil }
        switch (kind, parts.count) {
        case ("message", 3):
            guard let channel = parts[1].string, case .bulkString(let payload) = parts[2] else { return nil }
            self.init(channel: channel, payload: payload)
        case ("pmessage", 4):
            guard let pattern = parts[1].string, let channel = parts[2].string,
                case .bulkString(let payload) = parts[3]
            else { return nil }
            self.init(channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }
}
