import NIOPosix
import RPC
import ServiceSupport
package import Sodium
import Tokens

/// Argon2id on a small fixed pool of threads: at most `concurrency` hashes run at once (each holding its memory
/// cost), the rest wait in line, and a caller that gives up leaves the line. Never blocks an event loop or the
/// cooperative pool.
package final class PasswordHasher: Sendable {
    /// How much hashing may happen at once.
    package struct Configuration: Sendable {
        /// Cost of new hashes; at least OWASP's minimum (m=19 MiB, t=2, p=1).
        package var argon2: Argon2id.Configuration
        /// Hashes computed in parallel; memory in use is at most this times the memory cost.
        package var concurrency: Int
        /// Calls that may wait for a hashing thread; more fail UNAVAILABLE at once.
        package var maximumWaiting: Int

        package init(argon2: Argon2id.Configuration = .defaults, concurrency: Int = 2, maximumWaiting: Int = 512) {
            self.argon2 = argon2
            self.concurrency = concurrency
            self.maximumWaiting = maximumWaiting
        }

        package static var defaults: Self { Self() }
    }

    private let argon2: Argon2id
    private let pool: NIOThreadPool
    private let queue: WaitQueue
    /// A hash of a random password at the current cost, verified against for unknown accounts so that
    /// they take as long as wrong passwords.
    private let dummyHash: String

    /// Starts the hashing threads; throws for parameters below the minimum.
    package init(configuration: Configuration) throws {
        precondition(configuration.concurrency > 0, "at least one hashing thread")
        self.argon2 = try Argon2id(configuration: configuration.argon2)
        self.dummyHash = try self.argon2.hash(Base64URL.encode(SecureRandom.bytes(count: 24)))
        self.pool = NIOThreadPool(numberOfThreads: configuration.concurrency)
        self.pool.start()
        self.queue = WaitQueue(
            permits: configuration.concurrency, maximumWaiters: configuration.maximumWaiting,
            busyError: RPCError(code: .unavailable, message: "too many password checks in progress; try again"))
    }

    /// A PHC string for `password`, which must already satisfy the password rules.
    package func hash(_ password: String) async throws -> String {
        let argon2 = self.argon2
        return try await self.run { try argon2.hash(password) }
    }

    /// True when `password` matches `hash`; with no hash (unknown account) it checks against a dummy hash
    /// and answers false, taking as long as a real check.
    package func verify(_ password: String, against hash: String?) async throws -> Bool {
        let argon2 = self.argon2
        let target = hash ?? self.dummyHash
        let matches = try await self.run { try argon2.verify(password, against: target) }
        return hash != nil && matches
    }

    /// True when `hash` was made with weaker parameters than the current ones (or is not Argon2id): rehash it
    /// after a successful login. Stronger hashes are left alone, so instances configured differently during a
    /// rollout do not undo each other's work.
    package func needsRehash(_ hash: String) -> Bool {
        guard self.argon2.needsRehash(hash) else { return false }
        guard let cost = PHCCost(hash) else { return true }
        let current = self.argon2.configuration
        return cost.memoryKiB * 1024 < current.memoryLimitBytes || cost.passes < current.opsLimit
    }

    /// Stops the hashing threads after the work in hand.
    package func shutdown() async {
        try? await self.pool.shutdownGracefully()
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await self.queue.withPermit {
                try await self.pool.runIfActive(body)
            }
        } catch let error as PasswordError where error.code == .tooShort || error.code == .tooLong {
            throw FieldViolations("password", error.message).error(message: error.message)
        } catch let error as PasswordError {
            // libsodium could not allocate the memory cost: a transient shortage, not the caller's fault.
            throw RPCError(code: .unavailable, message: "password hashing is unavailable; try again", cause: error)
        }
    }
}
