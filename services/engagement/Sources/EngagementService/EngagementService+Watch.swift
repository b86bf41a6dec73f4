import Protos
import RPC
import SwiftProtobuf

extension EngagementService {
    /// The current counts of each video, in request order, then an update after every change
    /// until the caller cancels or the service shuts down. Updates are coalesced per video while
    /// the caller reads slowly (``CountsWatcher``); `seq` keeps them from going backwards, except
    /// for the counts read again after a Redis (re)connect, which win (Redis may have lost data).
    func watchCounts(
        _ request: Halo_Engagement_V1_WatchCountsRequest, context: ServerContext,
        writer: ResponseWriter<Halo_Engagement_V1_CountsUpdate>
    ) async throws {
        let requested = request.videoID.isEmpty ? request.videoIds : request.videoIds + [request.videoID]
        let videoIDs = try EngagementLimits.videoIDs(requested, minimum: 1)
        // Register before reading, so no change between the read and the first update is missed.
        let watcher = try self.hub.watch(Set(videoIDs))
        defer { self.hub.remove(watcher) }
        let snapshot = try await self.stored("watch counts") {
            try await self.store.counts(of: videoIDs, likedBy: nil, at: self.now())
        }
        var written: [String: (seq: Int64, counts: Halo_Engagement_V1_Counts)] = [:]
        for videoID in videoIDs {
            let stored = snapshot[videoID] ?? StoredCounts()
            let counts = Halo_Engagement_V1_Counts(stored)
            written[videoID] = (stored.seq, counts)
            try await writer.write(
                .with {
                    $0.videoID = videoID
                    $0.counts = counts
                })
        }
        for await _ in watcher.wakeups {
            for event in watcher.take() {
                let counts = Halo_Engagement_V1_Counts(event.counts)
                let last = written[event.videoID]
                // Live events move forward only; counts read again after a (re)connect win unless
                // they say nothing new (Redis may have restarted empty, and `seq` with it).
                let isNew =
                    event.isSnapshot
                    ? (last.map { $0.seq != event.seq || $0.counts != counts } ?? true)
                    : event.seq > (last?.seq ?? -1)
                guard isNew else { continue }
                written[event.videoID] = (event.seq, counts)
                try await writer.write(
                    .with {
                        $0.videoID = event.videoID
                        $0.counts = counts
                    })
            }
        }
    }
}
