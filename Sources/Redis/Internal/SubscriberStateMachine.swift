/// The subscriber's lifecycle and the set of channels and patterns it should listen to.
///
/// Transitions return what to do; the caller performs it outside the lock.
package struct SubscriberStateMachine<Connection: AnyObject & Sendable>: Sendable {
    /// SUBSCRIBE/UNSUBSCRIBE for channels or PSUBSCRIBE/PUNSUBSCRIBE for patterns.
    package enum Kind: Sendable {
        case channel, pattern
    }

    /// After a connection is up.
    package enum ConnectedAction: Sendable {
        /// Subscribe to all of these on the new connection.
        case resubscribe(channels: [String], patterns: [String])
        /// The subscriber was closed meanwhile; close the new connection.
        case close(Connection)
    }

    /// After a change of the wanted set.
    package enum ChangeAction: Sendable {
        /// Send the command on this connection now.
        case send(Connection)
        /// Nothing to send now; the change applies when the next connection comes up.
        case deferred
        /// The subscriber is closed.
        case fail
    }

    private enum State: Sendable {
        case disconnected
        case connected(Connection)
        case closed
    }

    private var state = State.disconnected
    private(set) package var channels: Set<String> = []
    private(set) package var patterns: Set<String> = []

    /// A subscriber that wants nothing yet.
    package init() {}

    /// Whether `close` was called.
    package var isClosed: Bool {
        if case .closed = state { true } else { false }
    }

    /// A new connection is ready.
    package mutating func connected(_ connection: Connection) -> ConnectedAction {
        if case .closed = state { return .close(connection) }
        state = .connected(connection)
        return .resubscribe(channels: channels.sorted(), patterns: patterns.sorted())
    }

    /// The connection `connection` went away.
    package mutating func disconnected(_ connection: Connection) {
        if case .connected(let current) = state, current === connection { state = .disconnected }
    }

    /// Adds (`subscribe`) or removes names from the wanted set.
    package mutating func change(_ kind: Kind, _ names: [String], subscribe: Bool) -> ChangeAction {
        switch state {
        case .closed:
            return .fail
        case .disconnected, .connected:
            switch (kind, subscribe) {
            case (.channel, true): channels.formUnion(names)
            case (.channel, false): channels.subtract(names)
            case (.pattern, true): patterns.formUnion(names)
            case (.pattern, false): patterns.subtract(names)
            }
            if case .connected(let connection) = state { return .send(connection) }
            return .deferred
        }
    }

    /// Closes for good; returns the connection to close, if any.
    package mutating func close() -> Connection? {
        defer { state = .closed }
        if case .connected(let connection) = state { return connection }
        return nil
    }

    /// Whether a message is still wanted (an unsubscribe may race with messages in flight).
    package func accepts(_ message: RedisPubSubMessage) -> Bool {
        if case .closed = state { return false }
        if let pattern = message.pattern { return patterns.contains(pattern) }
        return channels.contains(message.channel)
    }
}
