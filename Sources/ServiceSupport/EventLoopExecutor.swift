package import NIOCore

/// Runs a task's jobs on one event loop.
///
/// The PostgreSQL pool's background work (connecting, handing out connections) and each lease
/// run here rather than on Swift's cooperative pool, which has one thread per core: CPU-bound work
/// elsewhere in the process (password hashing that runs inline, a busy test run) must not delay a
/// lease until it times out. Tests that measure the database's timing run on one too. The RPC
/// server keeps its own, batching executor for handlers.
package final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `eventLoop` is immutable and thread-safe.
    package let eventLoop: any EventLoop

    package init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
