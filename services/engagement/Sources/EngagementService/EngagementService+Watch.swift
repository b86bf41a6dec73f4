import Protos
import RPC
import SwiftProtobuf

extension EngagementService {
    /// The current counts of each video, in request order, then an update after every change
    /// until the caller cancels or the service shuts down. Updates are coalesced per video while
    /// the caller reads slowly (``CountsWatcher``); `seq` keeps them from going backwards, except
    /// for the counts read again after a Redis reconnect, which win (Redis may have lost data).
    func watchCounts(
        _ request: Halo_Engagement_V1_WatchCountsRequest, context: ServerContext,
        writer: ResponseWriter<Halo_Engagement_V1_CountsUpdate>
    ) async throws {
        let videoIDs = try EngagementLimits.videoIDs(request.videoIds, minimum: 1)
        // Register before reading, so no change between the read and the first update is missed.
        let watcher = try self.hub.watch(Set(videoIDs))
        defer { self.hub.remove(watcher) }
        let snapshot = try await self.stored("watch counts") {
            try await self.store.counts(of: videoIDs, likedBy: nil, at: self.now())
        }
        var written: [String: Int64] = [:]
        for videoID in videoIDs {
            let counts = snapshot[videoID] ?? StoredCounts()
            written[videoID] = counts.seq
            try await writer.write(
                .with {
                    $0.videoID = videoID
                    $0.counts = Halo_Engagement_V1_Counts(counts)
                })
        }
        for await _ in watcher.wakeups {
            for event in watcher.take() where event.isSnapshot || event.seq > written[event.videoID, default: -1] {
                written[event.videoID] = event.seq
                try await writer.write(
                    .with {
                        $0.videoID = event.videoID
                        $0.counts = Halo_Engagement_V1_Counts(event.counts)
                    })
            }
        }
    }
}
