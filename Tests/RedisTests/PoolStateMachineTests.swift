import NIOCore
import NIOEmbedded
import Redis
import Synchronization
import Testing

final class FakeConnection: PoolConnection {
    private let active = Atomic<Bool>(true)
    var isActive: Bool { active.load(ordering: .relaxed) }
    func kill() { active.store(false, ordering: .relaxed) }
}

/// Makes waiters and completes every promise at the end (NIO traps on leaked promises).
final class WaiterFactory {
    let loop = EmbeddedEventLoop()
    private var made: [PoolStateMachine<FakeConnection>.Waiter] = []

    func make() -> PoolStateMachine<FakeConnection>.Waiter {
        let waiter = PoolStateMachine<FakeConnection>.Waiter(id: made.count + 1, promise: loop.makePromise())
        made.append(waiter)
        return waiter
    }

    deinit {
        for waiter in made { waiter.promise.fail(CancellationError()) }
    }
}

@Suite("Pool state machine")
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<FakeConnection>

    let factory = WaiterFactory()
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func machine(max: Int = 2, waiters: Int = 10) -> Machine {
        Machine(
            configuration: RedisPool.Configuration(
                maxConnections: max, maxWaiters: waiters,
                backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400), multiplier: 2, jitter: 0)))
    }

    func waiter() -> Machine.Waiter { factory.make() }

    @Test func opensConnectionsLazilyAndReusesIdleOnes() {
        var pool = machine()
        #expect(pool.total == 0)
        let first = waiter()
        let actions = pool.lease(first, now: start)
        #expect(actions.connect == 1 && actions.lease.isEmpty && actions.scheduleTimeout?.id == first.id)
        let connection = FakeConnection()
        let served = pool.connected(connection, now: start)
        #expect(served.lease.map(\.0.id) == [first.id] && served.lease.first?.1 === connection)
        #expect(pool.release(connection, now: start).lease.isEmpty)
        #expect(pool.idleCount == 1)
        let again = pool.lease(waiter(), now: start)
        #expect(again.connect == 0 && again.lease.first?.1 === connection)
    }

    @Test func neverOpensMoreThanTheMaximum() {
        var pool = machine(max: 2)
        var connects = 0
        for _ in 0..<5 { connects += pool.lease(waiter(), now: start).connect }
        #expect(connects == 2)
        #expect(pool.total == 2 && pool.waiterCount == 5)
        let a = FakeConnection()
        let b = FakeConnection()
        #expect(pool.connected(a, now: start).connect == 0)
        #expect(pool.connected(b, now: start).connect == 0)
        // Released connections go to the oldest waiter.
        let handOff = pool.release(a, now: start)
        #expect(handOff.lease.first?.0.id == 3 && handOff.lease.first?.1 === a)
        #expect(pool.total == 2 && pool.waiterCount == 2)
    }

    @Test func deadConnectionsAreDiscardedAndReplaced() {
        var pool = machine(max: 1)
        _ = pool.lease(waiter(), now: start)
        let connection = FakeConnection()
        _ = pool.connected(connection, now: start)
        let waiting = pool.lease(waiter(), now: start)
        #expect(waiting.connect == 0)
        connection.kill()
        let actions = pool.release(connection, now: start)
        #expect(actions.close.first === connection && actions.connect == 1 && actions.lease.isEmpty)
        // A dead idle connection found at lease time is closed too.
        let other = FakeConnection()
        _ = pool.connected(other, now: start)
        _ = pool.release(other, now: start)
        other.kill()
        let lease = pool.lease(waiter(), now: start)
        #expect(lease.close.first === other && lease.connect == 1)
    }

    @Test func failuresBackOffExponentiallyAndFailFastMeanwhile() {
        var pool = machine(max: 3)
        let first = waiter()
        _ = pool.lease(first, now: start)
        let failed = pool.connectFailed(RedisError(code: .connectionFailed, message: "refused"), now: start)
        #expect(failed.fail.map(\.0.id) == [first.id])
        // Within 100 ms: fail fast, no connect.
        let fast = pool.lease(waiter(), now: start + .milliseconds(99))
        #expect(fast.connect == 0 && fast.fail.first?.1.code == .connectionFailed)
        // After it: one probe at a time, however many callers.
        var connects = 0
        for _ in 0..<3 { connects += pool.lease(waiter(), now: start + .milliseconds(100)).connect }
        #expect(connects == 1)
        _ = pool.connectFailed(RedisError(code: .connectionFailed, message: "refused"), now: start + .milliseconds(100))
        #expect(pool.lease(waiter(), now: start + .milliseconds(299)).fail.count == 1)
        #expect(pool.lease(waiter(), now: start + .milliseconds(300)).connect == 1)
        // Success resets the backoff and opens more for the remaining waiters.
        _ = pool.lease(waiter(), now: start + .milliseconds(300))
        let recovered = pool.connected(FakeConnection(), now: start + .milliseconds(300))
        #expect(recovered.lease.count == 1 && recovered.connect == 1)
    }

    @Test func backoffDelaysGrowAndCap() {
        let backoff = RedisPool.Configuration.Backoff(
            initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2, jitter: 0)
        let delays = (1...6).map { backoff.delay(afterFailures: $0).nanoseconds / 1_000_000 }
        #expect(delays == [100, 200, 400, 800, 1000, 1000])
        #expect(backoff.delay(afterFailures: 2, jitter: 1.2).nanoseconds == 240_000_000)
    }

    @Test func waitersAreBoundedAndTimeOut() {
        var pool = machine(max: 1, waiters: 2)
        let first = waiter()
        _ = pool.lease(first, now: start)
        _ = pool.lease(waiter(), now: start)
        let overflow = pool.lease(waiter(), now: start)
        #expect(overflow.fail.first?.1.code == .poolExhausted)
        let timedOut = pool.waiterTimedOut(id: first.id)
        #expect(timedOut.fail.first?.1.code == .timeout)
        #expect(pool.waiterTimedOut(id: first.id).fail.isEmpty)
        #expect(pool.waiterCount == 1)
    }

    @Test func shutdownClosesIdleFailsWaitersAndClosesLateConnections() {
        var pool = machine(max: 2)
        _ = pool.lease(waiter(), now: start)
        let leased = FakeConnection()
        _ = pool.connected(leased, now: start)
        _ = pool.lease(waiter(), now: start)
        let actions = pool.shutdown()
        #expect(actions.fail.first?.1.code == .poolClosed)
        #expect(pool.release(leased, now: start).close.first === leased)
        let late = FakeConnection()
        #expect(pool.connected(late, now: start).close.first === late)
        #expect(pool.lease(waiter(), now: start).fail.first?.1.code == .poolClosed)
    }
}
