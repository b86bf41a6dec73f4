import Synchronization

/// One WatchCounts call's mailbox: the newest event of each watched video not yet written.
///
/// Bounded by construction: at most one event per watched video waits, however slow the
/// caller reads; a newer event replaces an older one (events carry all the counters, so nothing
/// the caller needs is lost), and an event older than the one waiting is dropped.
final class CountsWatcher: Sendable {
    let videoIDs: Set<String>
    /// Yields whenever events are waiting; finishes when the hub shuts down.
    let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let pending = Mutex<[String: CountsEvent]>([:])

    init(videoIDs: Set<String>) {
        self.videoIDs = videoIDs
        (self.wakeups, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `event` unless a newer one for the same video is already waiting. A snapshot
    /// (read after a reconnect) always replaces what waits: Redis may have restarted empty, and
    /// then its `seq` starts again from zero.
    func offer(_ event: CountsEvent) {
        let queued = self.pending.withLock { pending in
            if !event.isSnapshot, let waiting = pending[event.videoID], waiting.seq >= event.seq { return false }
            pending[event.videoID] = event
            return true
        }
        if queued { self.continuation.yield() }
    }

    /// Takes every waiting event, in video id order.
    func take() -> [CountsEvent] {
        self.pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending.values.sorted { $0.videoID < $1.videoID }
        }
    }

    /// Ends ``wakeups``.
    func finish() {
        self.continuation.finish()
    }
}
