package import NIOCore

/// Something with a deadline a `DeadlineQueue` watches: a client call, a pass-through stream.
package protocol DeadlineWatched: AnyObject {
    /// This entry's place in the queue's heap, -1 when not watched; only the queue sets it.
    var deadlineSlot: Int { get set }
    /// The deadline came; the entry has already left the queue.
    func deadlinePassed()
}

/// The deadlines of many calls on one event loop, with one timer for all of them.
///
/// A timer per call (`scheduleTask`) costs, on every call, a scheduled task, a promise and its
/// future, the event loop's task lock twice, and on cancel a linear search of the loop's timer
/// heap. Here an entry's deadline goes into a heap indexed by the entry (so one that finishes is
/// removed in O(log n), keeping nothing alive), and the loop has at most one timer: set for the
/// earliest deadline, moved only when an entry with an earlier deadline arrives, and left to fire
/// when the earliest entry finishes first (it then sets itself for the next). With a route's
/// uniform timeouts that is about one timer per timeout period, whatever the call rate.
///
/// Entries are held as `any DeadlineWatched` (a class reference and its witness table), not as a
/// generic parameter: a generic queue used from another module ran unspecialized (value-witness
/// copies and tuple metadata looked up at run time), about 9% of a pass-through call's CPU in the
/// gateway. Use it only on `eventLoop`.
package final class DeadlineQueue {
    private let eventLoop: any EventLoop
    /// A binary min-heap on deadline; each entry knows its position (`deadlineSlot`).
    private var heap: [(deadline: NIODeadline, entry: any DeadlineWatched)] = []
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    package init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Entries watched now.
    package var count: Int { self.heap.count }

    /// Watches `entry` until `deadline`: then `entry.deadlinePassed()` runs, unless `remove` came
    /// first. An entry already watched keeps its first deadline.
    package func add(_ entry: any DeadlineWatched, deadline: NIODeadline) {
        assert(self.eventLoop.inEventLoop, "deadlines are watched on their owner's loop")
        guard entry.deadlineSlot < 0 else { return }
        entry.deadlineSlot = self.heap.count
        self.heap.append((deadline, entry))
        self.siftUp(self.heap.count - 1)
        if let armed = self.timerDeadline, armed <= deadline { return }
        self.arm(at: deadline)
    }

    /// Stops watching `entry` (it finished); nothing happens if it is not watched here.
    package func remove(_ entry: any DeadlineWatched) {
        let slot = entry.deadlineSlot
        guard slot >= 0, slot < self.heap.count, self.heap[slot].entry === entry else { return }
        entry.deadlineSlot = -1
        let last = self.heap.removeLast()
        guard slot < self.heap.count else { return }
        self.heap[slot] = last
        last.entry.deadlineSlot = slot
        self.siftDown(slot)
        self.siftUp(last.entry.deadlineSlot)
    }

    // MARK: Timer

    private func arm(at deadline: NIODeadline) {
        self.timer?.cancel()
        self.timerDeadline = deadline
        self.timer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.timerDeadline = nil
            self.expire()
        }
    }

    /// Ends every entry whose deadline has come, then sets the timer for the next one.
    private func expire() {
        let now = self.eventLoop.now
        while let first = self.heap.first, first.deadline <= now {
            self.remove(first.entry)
            first.entry.deadlinePassed()
        }
        if self.timer == nil, let next = self.heap.first?.deadline { self.arm(at: next) }
    }

    // MARK: Heap

    // Both sifts move the entry through a hole: each level moves one element and sets one slot,
    // instead of swapping two (two slot writes, each a reference count on the entry).

    private func siftUp(_ start: Int) {
        var child = start
        let moving = self.heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard moving.deadline < self.heap[parent].deadline else { break }
            self.heap[child] = self.heap[parent]
            self.heap[child].entry.deadlineSlot = child
            child = parent
        }
        guard child != start else { return }
        self.heap[child] = moving
        moving.entry.deadlineSlot = child
    }

    private func siftDown(_ start: Int) {
        var parent = start
        let moving = self.heap[parent]
        let count = self.heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var smallest = left
            let right = left + 1
            if right < count, self.heap[right].deadline < self.heap[left].deadline { smallest = right }
            guard self.heap[smallest].deadline < moving.deadline else { break }
            self.heap[parent] = self.heap[smallest]
            self.heap[parent].entry.deadlineSlot = parent
            parent = smallest
        }
        guard parent != start else { return }
        self.heap[parent] = moving
        moving.entry.deadlineSlot = parent
    }
}
