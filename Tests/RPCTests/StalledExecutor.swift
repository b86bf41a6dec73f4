import Dispatch
import Synchronization

/// A task executor that runs a given number of jobs and then holds the rest until `release()`:
/// it stands for a caller whose thread is too busy to come back to its call.
final class StalledExecutor: TaskExecutor, Sendable {
    private let queue = DispatchQueue(label: "halo.test.stalled-executor")
    private let gate = DispatchSemaphore(value: 0)
    private let state: Mutex<(jobsLeft: Int, released: Bool)>

    init(runningJobs count: Int) {
        self.state = Mutex((jobsLeft: count, released: false))
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.queue.async {
            let mustWait = self.state.withLock { state in
                guard !state.released else { return false }
                state.jobsLeft -= 1
                return state.jobsLeft < 0
            }
            if mustWait { self.gate.wait() }
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }

    /// Lets every held job, and every later one, run.
    func release() {
        let wasReleased = self.state.withLock { state in
            defer { state.released = true }
            return state.released
        }
        if !wasReleased { self.gate.signal() }
    }
}
