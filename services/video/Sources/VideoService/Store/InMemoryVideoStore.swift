package import Foundation
import Synchronization

/// A `VideoStore` in a dictionary, for fast unit tests of the service's rules.
package final class InMemoryVideoStore: VideoStore {
    private let videos = Mutex([UUID: VideoRecord]())

    package init() {}

    package func insert(_ video: VideoRecord) async throws {
        self.videos.withLock { $0[video.id] = video }
    }

    package func video(id: UUID) async throws -> VideoRecord? {
        self.videos.withLock { $0[id] }
    }

    package func videos(ids: [UUID]) async throws -> [VideoRecord] {
        self.videos.withLock { videos in ids.compactMap { videos[$0] } }
    }

    package func list(_ query: VideoQuery) async throws -> [VideoRecord] {
        let matching = self.videos.withLock { $0.values.filter(query.matches) }
        return Array(matching.sorted { $0.isListedBefore($1) }.dropFirst(query.offset).prefix(query.limit))
    }

    package func update(id: UUID, changes: VideoChanges, updatedAt: Int64) async throws -> VideoRecord? {
        self.videos.withLock { videos in
            guard let video = videos[id] else { return nil }
            let updated = video.applying(changes, updatedAt: updatedAt)
            videos[id] = updated
            return updated
        }
    }

    package func delete(id: UUID) async throws -> Bool {
        self.videos.withLock { $0.removeValue(forKey: id) != nil }
    }
}
