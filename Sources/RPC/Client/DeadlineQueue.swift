import NIOCore

/// The deadlines of one connection's calls, on its event loop, with one timer for all of them.
///
/// A timer per call (`scheduleTask`) costs, on every call, a scheduled task, a promise and its
/// future, the event loop's task lock twice, and on cancel a linear search of the loop's timer
/// heap. Here a call's deadline goes into a heap indexed by the call (so a call that finishes is
/// removed in O(log n), keeping nothing alive), and the loop has at most one timer: set for the
/// earliest deadline, moved only when a call with an earlier deadline arrives, and left to fire
/// when the earliest call finishes first (it then sets itself for the next). With a route's
/// uniform timeouts that is about one timer per timeout period, whatever the call rate.
final class DeadlineQueue {
    private let eventLoop: any EventLoop
    /// A binary min-heap on deadline; each call knows its position (`deadlineSlot`).
    private var heap: [ClientCall] = []
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    var count: Int { self.heap.count }

    /// Watches `call`'s deadline: at it, `call.deadlinePassed()` runs, unless `remove` came first.
    func add(_ call: ClientCall) {
        assert(self.eventLoop.inEventLoop, "deadlines are watched on their connection's loop")
        guard let deadline = call.deadline, call.deadlineSlot < 0 else { return }
        call.deadlineSlot = self.heap.count
        self.heap.append(call)
        self.siftUp(self.heap.count - 1)
        if let armed = self.timerDeadline, armed <= deadline { return }
        self.arm(at: deadline)
    }

    /// Stops watching `call` (it finished).
    func remove(_ call: ClientCall) {
        let slot = call.deadlineSlot
        guard slot >= 0, slot < self.heap.count, self.heap[slot] === call else { return }
        call.deadlineSlot = -1
        let last = self.heap.removeLast()
        guard slot < self.heap.count else { return }
        self.heap[slot] = last
        last.deadlineSlot = slot
        self.siftDown(slot)
        self.siftUp(last.deadlineSlot)
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

    /// Ends every call whose deadline has come, then sets the timer for the next one.
    private func expire() {
        let now = self.eventLoop.now
        while let first = self.heap.first, let deadline = first.deadline, deadline <= now {
            self.remove(first)
            first.deadlinePassed()
        }
        if self.timer == nil, let next = self.heap.first?.deadline { self.arm(at: next) }
    }

    // MARK: Heap

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.heap[child].deadline! < self.heap[parent].deadline! else { return }
            self.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < self.heap.count else { return }
            var smallest = left
            let right = left + 1
            if right < self.heap.count, self.heap[right].deadline! < self.heap[left].deadline! { smallest = right }
            guard self.heap[smallest].deadline! < self.heap[parent].deadline! else { return }
            self.swapAt(parent, smallest)
            parent = smallest
        }
    }

    private func swapAt(_ first: Int, _ second: Int) {
        self.heap.swapAt(first, second)
        self.heap[first].deadlineSlot = first
        self.heap[second].deadlineSlot = second
    }
}
