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

    @Test func manyEntriesAddedAndRemovedAtRandomEndInDeadlineOrder() {
        /// What came due, in order: values only, so no entry is kept alive (no cycle).
        final class Log {
            var passed: [(entry: ObjectIdentifier, deadline: NIODeadline, slot: Int)] = []
        }
        final class Recorder: DeadlineWatched {
            var deadlineSlot = -1
            let deadline: NIODeadline
            let log: Log
            init(_ deadline: NIODeadline, log: Log) {
                self.deadline = deadline
                self.log = log
            }
            func deadlinePassed() {
                self.log.passed.append((ObjectIdentifier(self), self.deadline, self.deadlineSlot))
            }
        }
        var random = SystemRandomNumberGenerator()
        let loop = EmbeddedEventLoop()
        let queue = DeadlineQueue(eventLoop: loop)
        let start = loop.now
        let log = Log()
        var live: [Recorder] = []
        var removed = 0
        for round in 0..<2_000 {
            let deadline = start + .milliseconds(Int64.random(in: 1...5_000, using: &random))
            let entry = Recorder(deadline, log: log)
            queue.add(entry, deadline: deadline)
            live.append(entry)
            // Calls finish in any order: a third of the time one leaves before its deadline.
            if round % 3 == 0, let index = live.indices.randomElement(using: &random) {
                queue.remove(live.remove(at: index))
                removed += 1
            }
        }
        #expect(queue.count == live.count)
        loop.advanceTime(by: .seconds(6))
        #expect(queue.count == 0)
        #expect(log.passed.count == 2_000 - removed)
        #expect(zip(log.passed, log.passed.dropFirst()).allSatisfy { $0.deadline <= $1.deadline })
        #expect(Set(log.passed.map(\.entry)) == Set(live.map(ObjectIdentifier.init)))
        #expect(log.passed.allSatisfy { $0.slot == -1 })
    }
}
