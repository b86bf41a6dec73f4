import Redis
import Synchronization

/// Collects pushed messages from the event loop for assertions.
final class Received: Sendable {
    private let storage = Mutex<[RedisPubSubMessage]>([])

    func append(_ message: RedisPubSubMessage) { storage.withLock { $0.append(message) } }

    var messages: [RedisPubSubMessage] { storage.withLock { $0 } }
}
