import NIOCore

extension Connection {
    enum Lifecycle {
        case active
        /// A GOAWAY went out or came in; no new streams. Closes when the last stream does.
        case draining(goAwaySent: Bool)
        /// A connection error: the pending GOAWAY is flushed, then the channel closes.
        case failed
        case closed

        var isReadable: Bool {
            switch self {
            case .active, .draining: true
            case .failed, .closed: false
            }
        }
    }

    /// Scheduled work of one connection: keepalive PINGs, idle and drain deadlines.
    struct Timers {
        var started = false
        var readSinceTick = false
        var keepalive: Scheduled<Void>?
        var pingTimeout: Scheduled<Void>?
        var idle: Scheduled<Void>?
        var drain: Scheduled<Void>?
        var idleSince: NIODeadline?

        mutating func streamOpened() { self.idleSince = nil }

        mutating func becameIdle(now: NIODeadline) { self.idleSince = now }

        mutating func pingAcknowledged() {
            self.pingTimeout?.cancel()
            self.pingTimeout = nil
        }

        mutating func cancelAll() {
            for task in [self.keepalive, self.pingTimeout, self.idle, self.drain] { task?.cancel() }
            self.keepalive = nil
            self.pingTimeout = nil
            self.idle = nil
            self.drain = nil
        }
    }

    /// Starts GOAWAY-based graceful shutdown: no new streams, open ones finish within
    /// `drainTimeout`, then the connection closes.
    package func beginGracefulShutdown() {
        guard case .active = self.lifecycle, let session = self.session else { return }
        switch self.role {
        case .server:
            // RFC 9113 §6.8: a GOAWAY with the maximum id first, the real last id an RTT later.
            self.lifecycle = .draining(goAwaySent: false)
            session.submitShutdownNotice()
            self.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { self.sendFinalGoAway() }
        case .client:
            self.lifecycle = .draining(goAwaySent: true)
            session.submitGoAway(code: .noError)
        }
        self.timers.drain = self.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(self.configuration.drainTimeout)
        ) {
            self.context?.close(promise: nil)
        }
        self.flush()
    }

    /// Asks a server connection to send GOAWAY at once keeping only its `keepingOldestStreams`
    /// oldest open streams (`Connection.goAway(keepingOldestStreams:)`); sent down a pipeline
    /// from any thread, as `ChannelShouldQuiesceEvent` is.
    package struct GoAwayEvent: Sendable {
        package var keepingOldestStreams: Int

        package init(keepingOldestStreams: Int) { self.keepingOldestStreams = keepingOldestStreams }
    }

    /// Sends GOAWAY at once (server role) whose last stream id keeps only the `count` oldest open
    /// streams: they finish within `drainTimeout`; the newer ones close as refused when the frame
    /// is sent (never processed, so the client may send them again elsewhere), and no stream opens
    /// after it. A restart that keeps the calls it has started and hands back the rest: what a
    /// client's GOAWAY handling is tested against.
    package func goAway(keepingOldestStreams count: Int) {
        guard self.role == .server, self.lifecycle.isReadable, let session = self.session else { return }
        let ids = self.streams.keys.sorted()
        let lastStreamID = count <= 0 || ids.isEmpty ? 0 : ids[min(count, ids.count) - 1]
        self.lifecycle = .draining(goAwaySent: true)
        session.submitGoAway(code: .noError, lastStreamID: lastStreamID)
        if self.timers.drain == nil {
            self.timers.drain = self.eventLoop.assumeIsolated().scheduleTask(
                in: TimeAmount(self.configuration.drainTimeout)
            ) {
                self.context?.close(promise: nil)
            }
        }
        self.flush()
    }

    private func sendFinalGoAway() {
        guard case .draining(goAwaySent: false) = self.lifecycle, let session = self.session else { return }
        self.lifecycle = .draining(goAwaySent: true)
        session.submitGoAway(code: .noError)
        self.flush()
    }

    func startTimers() {
        self.timers.started = true
        if self.streams.isEmpty { self.timers.becameIdle(now: self.eventLoop.now) }
        if let keepalive = self.configuration.keepalive { self.scheduleKeepalive(keepalive) }
        if let idleTimeout = self.configuration.idleTimeout { self.scheduleIdleCheck(after: idleTimeout) }
    }

    private func scheduleKeepalive(_ keepalive: Configuration.Keepalive) {
        self.timers.keepalive = self.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(keepalive.interval)) {
            guard let session = self.session else { return }
            if !self.timers.readSinceTick, self.timers.pingTimeout == nil {
                session.submitPing(UInt64(self.eventLoop.now.uptimeNanoseconds))
                self.timers.pingTimeout = self.eventLoop.assumeIsolated().scheduleTask(
                    in: TimeAmount(keepalive.timeout)
                ) {
                    // The peer stopped answering: the connection is dead.
                    self.lifecycle = .failed
                    self.context?.close(promise: nil)
                }
                self.flush()
            }
            self.timers.readSinceTick = false
            self.scheduleKeepalive(keepalive)
        }
    }

    private func scheduleIdleCheck(after delay: Duration) {
        self.timers.idle = self.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
            guard let idleTimeout = self.configuration.idleTimeout else { return }
            if let idleSince = self.timers.idleSince, self.streams.isEmpty {
                let idleFor = self.eventLoop.now - idleSince
                if idleFor >= TimeAmount(idleTimeout) {
                    self.beginGracefulShutdown()
                    return
                }
                self.scheduleIdleCheck(after: idleTimeout - Duration.nanoseconds(idleFor.nanoseconds))
            } else {
                self.scheduleIdleCheck(after: idleTimeout)
            }
        }
    }
}
