import NIOCore
import NIOEmbedded
import RPC
import Testing

/// `DeadlineQueue` over an entry type of its own (the pool's pass-through streams use it so,
/// the client its calls): one timer, entries ended in deadline order, removed ones never.
@Suite struct DeadlineQueueTests {
    final class Entry: DeadlineWatched {
        let name: String
        var deadlineSlot = -1
        var passedAt: NIODeadline?
        private let loop: EmbeddedEventLoop

        init(_ name: String, loop: EmbeddedEventLoop) {
            self.name = name
            self.loop = loop
        }

        func deadlinePassed() { self.passedAt = self.loop.now }
    }

    @Test func entriesEndInDeadlineOrderAndRemovedOnesNever() {
        let loop = EmbeddedEventLoop()
        let queue = DeadlineQueue(eventLoop: loop)
        let start = loop.now
        let entries = (0..<8).map { Entry("entry \($0)", loop: loop) }
        // Deadlines 800, 700, ..., 100 ms: each arrival moves the timer earlier.
        for (index, entry) in entries.enumerated() {
            queue.add(entry, deadline: start + .milliseconds(Int64(800 - index * 100)))
        }
        // Added twice: the first deadline stands.
        queue.add(entries[0], deadline: start + .milliseconds(50))
        #expect(queue.count == 8)
        queue.remove(entries[7])
        queue.remove(entries[3])
        queue.remove(entries[3])
        #expect(queue.count == 6)
        #expect(entries[3].deadlineSlot == -1)
        loop.advanceTime(by: .milliseconds(250))
        #expect(entries.filter { $0.passedAt != nil }.map(\.name) == ["entry 6"])
        loop.advanceTime(by: .milliseconds(1000))
        #expect(queue.count == 0)
        for (index, entry) in entries.enumerated() where index != 3 && index != 7 {
            #expect(entry.passedAt == start + .milliseconds(Int64(800 - index * 100)), "\(entry.name)")
        }
        #expect(entries[3].passedAt == nil && entries[7].passedAt == nil)
    }
}
