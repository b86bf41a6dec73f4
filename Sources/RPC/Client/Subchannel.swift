package import HTTP2
package import Logging
package import NIOCore
import NIOPosix

/// One connection to one resolved address that a pool drives, on an explicit event loop.
///
/// Use it only on `eventLoop`. It is `ready` once the server's SETTINGS arrived (not at TCP
/// connect), reports every state change through `onStateChange` on its loop, and shows what a
/// pool needs to pick it: the calls in flight and the server's MAX_CONCURRENT_STREAMS. Once
/// `connect()` is called it stays connected (backoff after failures, a replacement at once after
/// GOAWAY) until `shutDown()`, or, with an idle timeout, until it carried no call for that long:
/// then it closes the connection and stays `idle` until `connect()` again. It never queues a
/// call: with no capacity a call fails at once as never sent, and the pool picks another.
package final class Subchannel: ConnectionDelegate {
    package struct Configuration: Sendable {
        package var http2 = HTTP2.Configuration.client
        /// Covers TCP connect and the wait for the server's first SETTINGS.
        package var connectTimeout: Duration = .seconds(5)
        package var backoff = Backoff()
        /// A local cap on concurrent streams, below the server's if it advertises more.
        package var maxConcurrentStreams = 100
        /// A ready connection that carried no call for this long (background calls such as health
        /// checks aside) is closed, and `state` becomes `idle` until `connect()`; nil: never.
        package var idleTimeout: Duration?

        package init() {}

        package static var defaults: Self { Self() }
    }

    package let address: SocketAddress
    package let authority: String
    package let eventLoop: any EventLoop
    private let configuration: Configuration
    private let logger: Logger
    private let staticHeaders: [Header]
    /// One timer for the deadlines of every call on this connection.
    private let deadlines: DeadlineQueue
    var machine: SubchannelStateMachine
    private var reconnectTimer: Scheduled<Void>?
    private var settingsTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?

    /// Called on `eventLoop` after each state change.
    package var onStateChange: ((Subchannel, ConnectivityState) -> Void)?

    /// Called on `eventLoop` when a stream of the ready connection closed: a call waiting for a
    /// free stream may start now. (Its answer came before: a call finishing is not yet room.)
    package var onStreamFreed: ((Subchannel) -> Void)?

    /// Calls started here and not yet finished, on the current connection and any draining one.
    package internal(set) var inFlight = 0

    package init(
        address: SocketAddress, authority: String, eventLoop: any EventLoop, configuration: Configuration,
        logger: Logger
    ) {
        self.address = address
        self.authority = authority
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.staticHeaders = ClientConnectionCore.staticHeaders(authority: authority)
        self.deadlines = DeadlineQueue(eventLoop: self.eventLoop)
        self.machine = SubchannelStateMachine(backoff: configuration.backoff, idleTimeout: configuration.idleTimeout)
    }

    package var state: ConnectivityState { self.machine.connectivity }

    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS (0 until it is known), capped by the local limit.
    package var maxConcurrentStreams: Int {
        guard let connection = self.machine.readyConnection, connection.hasRemoteSettings else { return 0 }
        return min(connection.remoteMaxConcurrentStreams, self.configuration.maxConcurrentStreams)
    }

    /// Ready, with a free stream. (Reads the state once: a pool asks this on every pick.)
    package var hasCapacity: Bool {
        guard let connection = self.machine.readyConnection, connection.isAcceptingStreams,
            connection.hasRemoteSettings
        else { return false }
        return connection.activeStreamCount
            < min(connection.remoteMaxConcurrentStreams, self.configuration.maxConcurrentStreams)
    }

    /// Starts connecting: eagerly, or again after the connection was closed for idleness (idle only).
    package func connect() {
        self.perform(self.machine.connect())
    }

    /// Stops reconnecting; the current connection finishes its calls under GOAWAY.
    package func shutDown() {
        self.reconnectTimer?.cancel()
        self.settingsTimer?.cancel()
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.perform(self.machine.shutDown())
    }

    /// A unary call with a framed request (`RequestMessage.framed()`); `onComplete` runs on the
    /// loop exactly once, at once if there is no free stream. Returns a handle that cancels the call.
    /// A `background` call (a health check) does not keep the connection from going idle.
    @discardableResult
    package func unary(
        _ method: MethodDescriptor, request: ByteBuffer, metadata: Metadata = Metadata(), deadline: NIODeadline?,
        maxResponseMessageSize: Int = 4 << 20, background: Bool = false,
        onComplete: @escaping (RawUnaryResult) -> Void
    ) -> CallHandle {
        let response = UnaryCollector()
        return self.serverStreaming(
            method, request: request, metadata: metadata, deadline: deadline,
            maxResponseMessageSize: maxResponseMessageSize, background: background,
            onMessage: { response.received($0) }
        ) { outcome, initialMetadata in
            switch outcome {
            case .success(let trailingMetadata):
                onComplete(response.result(initial: initialMetadata, trailing: trailingMetadata))
            case .failure(let failure):
                onComplete(.failure(failure))
            }
        }
    }

    /// A call with one framed request and any number of responses, each given to `onMessage` as it
    /// arrives (window reopened at once); `onComplete` gets the trailers or the failure, and the
    /// initial metadata, exactly once. A `background` call (a health Watch) does not keep the
    /// connection from going idle.
    @discardableResult
    package func serverStreaming(
        _ method: MethodDescriptor, request: ByteBuffer, metadata: Metadata = Metadata(), deadline: NIODeadline?,
        maxResponseMessageSize: Int = 4 << 20, background: Bool = false, onMessage: @escaping (ByteBuffer) -> Void,
        onComplete: @escaping (Result<Metadata, CallFailure>, _ initialMetadata: Metadata) -> Void
    ) -> CallHandle {
        self.callStarted(background: background)
        let call = ClientCall(
            eventLoop: self.eventLoop, maxMessageSize: maxResponseMessageSize, consumesOnReceipt: true,
            deadline: deadline, deadlines: self.deadlines, onMessage: onMessage,
            onFinish: { outcome, initialMetadata in
                self.callFinished(background: background)
                onComplete(outcome, initialMetadata)
            })
        if let connection = self.machine.readyConnection, self.hasCapacity {
            call.start(
                on: connection, staticHeaders: self.staticHeaders, method: method, metadata: metadata,
                request: request)
        } else {
            call.failBeforeStart(RPCError(code: .unavailable, message: "no free stream on the connection"))
        }
        return CallHandle(call: call)
    }

    /// Counts a call in `inFlight`; unless it is `background`, it keeps the connection from going idle.
    func callStarted(background: Bool) {
        self.inFlight += 1
        if !background { self.machine.callStarted() }
    }

    func callFinished(background: Bool) {
        self.inFlight -= 1
        if !background { self.machine.callFinished() }
    }

    // MARK: Connecting

    private func perform(_ actions: SubchannelStateMachine.Actions) {
        if let connection = actions.close { connection.context?.close(promise: nil) }
        // Closed for idleness (the state is idle already): once open streams (a health Watch the
        // pool cancels on the idle report) are gone, the connection closes.
        if let connection = actions.drain { connection.beginGracefulShutdown() }
        if let delay = actions.reconnectAfter {
            self.reconnectTimer = self.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                self.reconnectTimer = nil
                self.perform(self.machine.reconnectTimerFired(now: self.eventLoop.now))
            }
        }
        if let delay = actions.checkIdleAfter {
            self.idleTimer?.cancel()
            self.idleTimer = self.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                self.idleTimer = nil
                self.perform(self.machine.idleCheckFired())
            }
        }
        if actions.connect { self.startConnecting() }
        if let state = actions.report {
            self.logger.debug("subchannel state", metadata: ["address": "\(self.address)", "state": "\(state)"])
            self.onStateChange?(self, state)
        }
    }

    private func startConnecting() {
        let configuration = self.configuration
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(role: .client, configuration: configuration.http2, delegate: nil))
                }
            }
            .connect(to: self.address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard let connection = try? channel.pipeline.syncOperations.handler(type: Connection.self) else {
                        channel.close(promise: nil)
                        self.perform(self.machine.attemptFailed(now: self.eventLoop.now))
                        return
                    }
                    connection.delegate = self
                    self.perform(self.machine.channelConnected(connection))
                    self.armSettingsTimer(for: connection)
                    // SETTINGS may have arrived before the delegate was set.
                    if connection.hasRemoteSettings { self.connectionReceivedSettings(connection) }
                case .failure(let error):
                    self.logger.debug("connect failed", metadata: ["address": "\(self.address)", "error": "\(error)"])
                    self.perform(self.machine.attemptFailed(now: self.eventLoop.now))
                }
            }
    }

    private func armSettingsTimer(for connection: Connection) {
        self.settingsTimer?.cancel()
        self.settingsTimer = self.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(self.configuration.connectTimeout)
        ) {
            self.settingsTimer = nil
            self.perform(self.machine.settingsTimedOut(connection, now: self.eventLoop.now))
        }
    }

    // MARK: ConnectionDelegate

    package func connectionReceivedSettings(_ connection: Connection) {
        let actions = self.machine.settingsReceived(connection)
        if actions.report == .ready {
            self.settingsTimer?.cancel()
            self.settingsTimer = nil
        }
        self.perform(actions)
    }

    package func connection(_ connection: Connection, receivedGoAway lastStreamID: Int32, errorCode: HTTP2.ErrorCode) {
        self.logger.debug(
            "goaway received", metadata: ["address": "\(self.address)", "last_stream_id": "\(lastStreamID)"])
        self.perform(self.machine.goAwayReceived(connection, now: self.eventLoop.now))
    }

    package func connectionStreamClosed(_ connection: Connection) {
        guard self.machine.readyConnection === connection else { return }
        self.onStreamFreed?(self)
    }

    package func connectionClosed(_ connection: Connection) {
        self.perform(self.machine.connectionClosed(connection, now: self.eventLoop.now))
    }
}

/// Cancels one call (the client went away, a sibling call failed). Use it on the call's loop.
package struct CallHandle {
    private let call: ClientCall

    init(call: ClientCall) { self.call = call }

    /// Ends the call with CANCELLED (resetting its stream if it is open); no-op once it finished.
    package func cancel() { self.call.cancel() }
}
