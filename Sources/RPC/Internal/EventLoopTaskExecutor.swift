import NIOCore

/// Runs a Task's jobs on one event loop, so an async handler started from a channel handler
/// stays on that loop's thread (no thread hop, no cross-thread malloc/free).
///
/// Jobs enqueued from the loop itself (the common case: a handler started by a read, or resumed
/// by a write completion) are batched and run in one loop task per tick, without an allocation
/// per job; jobs from other threads go through `EventLoop.execute`.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `eventLoop` is immutable and thread-safe; `pending` and `drainScheduled` are
    // touched only on `eventLoop` (checked by `inEventLoop`).
    let eventLoop: any EventLoop
    private var pending: [UnownedJob] = []
    private var running: [UnownedJob] = []
    private var drainScheduled = false

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        guard self.eventLoop.inEventLoop else {
            self.eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
            return
        }
        self.pending.append(job)
        if !self.drainScheduled {
            self.drainScheduled = true
            self.eventLoop.execute { self.drain() }
        }
    }

    /// Runs the jobs queued so far, in order; jobs they enqueue run in the next drain.
    private func drain() {
        self.drainScheduled = false
        swap(&self.pending, &self.running)
        let executor = self.asUnownedTaskExecutor()
        for job in self.running { job.runSynchronously(on: executor) }
        self.running.removeAll(keepingCapacity: true)
    }
}
