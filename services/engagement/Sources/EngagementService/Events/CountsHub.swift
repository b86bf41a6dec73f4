package import Foundation
package import Logging
import NIOCore
import RPC
package import Redis
import ServiceLifecycle
import Synchronization

/// Fans counter events out to WatchCounts calls: one ``RedisSubscriber`` per process listens to
/// `halo:engagement:video:*` and hands each event to the watchers of its video.
///
/// One pattern subscription, made once, keeps the subscriber simple and correct across
/// reconnects (it resubscribes by itself); the price is that every replica receives every event.
/// Events published while the subscriber was not connected are lost, so after each (re)connect
/// the hub reads the counts of every watched video again and offers them as events.
///
/// A lifecycle `Service`: it runs until graceful shutdown, then ends every watch, so WatchCounts
/// calls return and the server can drain.
package final class CountsHub: Service, Sendable {
    package struct Configuration: Sendable {
        /// Watch calls served at once by this process; more fail RESOURCE_EXHAUSTED.
        package var maxWatchers = 10_000
        /// How often the hub looks for a subscriber reconnect (and resyncs after one).
        package var reconnectCheckInterval: Duration = .seconds(1)

        package init() {}

        package static var defaults: Self { Self() }
    }

    static let pattern = EngagementKeys.channelPrefix + "*"

    private struct State {
        var watchers: [ObjectIdentifier: CountsWatcher] = [:]
        var byVideo: [String: [ObjectIdentifier: CountsWatcher]] = [:]
        var closed = false
    }

    private let subscriber: RedisSubscriber
    private let store: any EngagementStore
    private let now: @Sendable () -> Date
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())

    package init(
        subscriber: RedisSubscriber, store: any EngagementStore, configuration: Configuration = .defaults,
        logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.subscriber = subscriber
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.now = now
    }

    /// Watch calls open now.
    package var watcherCount: Int { self.state.withLock { $0.watchers.count } }

    package func run() async throws {
        // Not connected yet: the pattern is kept and sent once the subscriber connects.
        try? await self.subscriber.psubscribe([Self.pattern])
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.subscriber.run() }
                group.addTask { await self.resyncAfterReconnects() }
                for await message in self.subscriber.messages {
                    self.dispatch(message)
                }
                group.cancelAll()
            }
        }
        self.subscriber.close()
        let watchers = self.state.withLock { state in
            state.closed = true
            defer {
                state.watchers = [:]
                state.byVideo = [:]
            }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.finish() }
    }

    /// Registers a watch of `videoIDs`; pair with ``remove(_:)``.
    func watch(_ videoIDs: Set<String>) throws(RPCError) -> CountsWatcher {
        let watcher = CountsWatcher(videoIDs: videoIDs)
        let id = ObjectIdentifier(watcher)
        let refusal: RPCError? = self.state.withLock { state in
            if state.closed { return RPCError(code: .unavailable, message: "the service is shutting down") }
            if state.watchers.count >= self.configuration.maxWatchers {
                return RPCError(code: .resourceExhausted, message: "too many watches; try again later")
            }
            state.watchers[id] = watcher
            for videoID in videoIDs { state.byVideo[videoID, default: [:]][id] = watcher }
            return nil
        }
        if let refusal { throw refusal }
        return watcher
    }

    /// Ends a watch.
    func remove(_ watcher: CountsWatcher) {
        let id = ObjectIdentifier(watcher)
        self.state.withLock { state in
            guard state.watchers.removeValue(forKey: id) != nil else { return }
            for videoID in watcher.videoIDs {
                state.byVideo[videoID]?.removeValue(forKey: id)
                if state.byVideo[videoID]?.isEmpty == true { state.byVideo.removeValue(forKey: videoID) }
            }
        }
        watcher.finish()
    }

    private func dispatch(_ message: RedisPubSubMessage) {
        guard message.channel.hasPrefix(EngagementKeys.channelPrefix),
            let event = CountsEvent(payload: message.payload.readableBytesView)
        else {
            self.logger.debug("ignored engagement message", metadata: ["channel": "\(message.channel)"])
            return
        }
        let watchers = self.state.withLock { $0.byVideo[event.videoID].map { Array($0.values) } ?? [] }
        for watcher in watchers { watcher.offer(event) }
    }

    /// After each connect of the subscriber, offers every watched video's current counts.
    private func resyncAfterReconnects() async {
        var seen = 0
        var owed = false
        while !Task.isCancelled {
            let connections = self.subscriber.connections
            // The first connection too: watches opened before it may have missed changes. A resync
            // that failed (the pool may still be backing off) is tried again on the next tick.
            if connections > seen || owed {
                seen = connections
                owed = !(await self.resync())
            }
            try? await Task.sleep(for: self.configuration.reconnectCheckInterval)
        }
    }

    /// Offers the counts of every watched video; false when some could not be read.
    private func resync() async -> Bool {
        let videoIDs = self.state.withLock { Array($0.byVideo.keys) }
        guard !videoIDs.isEmpty else { return true }
        self.logger.notice("redis subscriber connected, resyncing watches", metadata: ["videos": "\(videoIDs.count)"])
        let at = RedisEngagementStore.milliseconds(self.now())
        var start = 0
        while start < videoIDs.count {
            let chunk = Array(videoIDs[start..<min(start + 100, videoIDs.count)])
            start += chunk.count
            do {
                let counts = try await self.store.counts(of: chunk, likedBy: nil, at: self.now())
                let byVideo = self.state.withLock { $0.byVideo }
                for (videoID, snapshot) in counts {
                    guard let watchers = byVideo[videoID]?.values else { continue }
                    let event = CountsEvent(videoID: videoID, snapshot: snapshot, at: at)
                    for watcher in watchers { watcher.offer(event) }
                }
            } catch {
                self.logger.warning("resync failed, retrying", metadata: ["error": "\(error)"])
                return false
            }
        }
        return true
    }
}
