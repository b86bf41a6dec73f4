import NIOCore
import Redis
import Testing

@Suite("Loop connection state machine")
struct LoopConnectionStateMachineTests {
    typealias Machine = LoopConnectionStateMachine<FakeConnection, Int>

    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func machine(waiters: Int = 10) -> Machine {
        Machine(
            backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400), multiplier: 2, jitter: 0),
            maxWaiters: waiters)
    }

    @Test func opensOnFirstUseThenSharesTheConnection() {
        var machine = machine()
        guard case .wait(connect: true) = machine.acquire(now: start, waiter: { 1 }) else {
            Issue.record("the first caller should open the connection")
            return
        }
        // Callers arriving while it opens wait for the same connect.
        guard case .wait(connect: false) = machine.acquire(now: start, waiter: { 2 }) else {
            Issue.record("a second caller should wait without a second connect")
            return
        }
        let connection = FakeConnection()
        let served = machine.connected(connection)
        #expect(served.succeed?.connection === connection && served.succeed?.waiters == [1, 2])
        #expect(machine.isConnected)
        for _ in 0..<3 {
            guard case .use(let shared) = machine.acquire(now: start, waiter: { -1 }) else {
                Issue.record("an open connection should be used at once")
                return
            }
            #expect(shared === connection)
        }
    }

    @Test func waitersAreBounded() {
        var machine = machine(waiters: 2)
        _ = machine.acquire(now: start, waiter: { 1 })
        _ = machine.acquire(now: start, waiter: { 2 })
        guard case .fail(let error) = machine.acquire(now: start, waiter: { 3 }) else {
            Issue.record("a third waiter should be refused")
            return
        }
        #expect(error.code == .poolExhausted)
        _ = machine.connectFailed(RedisError(code: .connectionFailed, message: "refused"), now: start)
    }

    @Test func aLostConnectionIsReplacedOnTheNextCall() {
        var machine = machine()
        _ = machine.acquire(now: start, waiter: { 1 })
        let first = FakeConnection()
        _ = machine.connected(first)
        first.kill()
        #expect(!machine.isConnected)
        guard case .wait(connect: true) = machine.acquire(now: start, waiter: { 2 }) else {
            Issue.record("a dead connection should be replaced")
            return
        }
        let second = FakeConnection()
        #expect(machine.connected(second).succeed?.connection === second)
    }

    @Test func failedConnectsBackOffExponentiallyAndFailFastMeanwhile() {
        var machine = machine()
        let refused = RedisError(code: .connectionFailed, message: "refused")
        _ = machine.acquire(now: start, waiter: { 1 })
        _ = machine.acquire(now: start, waiter: { 2 })
        let failed = machine.connectFailed(refused, now: start)
        #expect(failed.fail?.waiters == [1, 2] && failed.fail?.error.message == "refused")
        // Within 100 ms: fail fast, no connect.
        guard case .fail(let fast) = machine.acquire(now: start + .milliseconds(99), waiter: { 3 }) else {
            Issue.record("callers should fail fast while backing off")
            return
        }
        #expect(fast.code == .connectionFailed)
        guard case .wait(connect: true) = machine.acquire(now: start + .milliseconds(100), waiter: { 4 }) else {
            Issue.record("after the delay a caller should try again")
            return
        }
        // The second failure doubles the delay.
        _ = machine.connectFailed(refused, now: start + .milliseconds(100))
        guard case .fail = machine.acquire(now: start + .milliseconds(299), waiter: { 5 }) else {
            Issue.record("the second delay should be 200 ms")
            return
        }
        guard case .wait(connect: true) = machine.acquire(now: start + .milliseconds(300), waiter: { 6 }) else {
            Issue.record("after the second delay a caller should try again")
            return
        }
        // Success resets the backoff.
        _ = machine.connected(FakeConnection())
        #expect(machine.isConnected)
    }

    @Test func shutdownClosesTheConnectionFailsWaitersAndRefusesCallers() {
        var machine = machine()
        _ = machine.acquire(now: start, waiter: { 1 })
        let stopped = machine.shutdown()
        #expect(stopped.fail?.waiters == [1] && stopped.fail?.error.code == .poolClosed)
        // A connect that finishes late is closed, not used.
        let late = FakeConnection()
        let actions = machine.connected(late)
        #expect(actions.close === late && actions.succeed == nil)
        guard case .fail(let error) = machine.acquire(now: start, waiter: { 2 }) else {
            Issue.record("a shut-down client should refuse")
            return
        }
        #expect(error.code == .poolClosed)

        var open = self.machine()
        _ = open.acquire(now: start, waiter: { 1 })
        let connection = FakeConnection()
        _ = open.connected(connection)
        #expect(open.shutdown().close === connection)
    }
}
