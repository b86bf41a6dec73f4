import AuthService
import Foundation
import RPC
import Sodium
import Testing

/// Hash-heavy: each test holds a harness slot so that timing tests elsewhere run undisturbed.
@Suite("Password hasher")
struct PasswordHasherTests {
    @Test("hashes verify; unknown accounts check a dummy hash and never match")
    func hashAndVerify() async throws {
        try await HarnessLimiter.shared.withSlot {
            let hasher = try PasswordHasher(configuration: .defaults)
            defer { Task { await hasher.shutdown() } }
            let hash = try await hasher.hash("correct horse")
            #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
            #expect(try await hasher.verify("correct horse", against: hash))
            #expect(try await !hasher.verify("wrong horse!", against: hash))
            #expect(try await !hasher.verify("correct horse", against: nil))
            #expect(!hasher.needsRehash(hash))
        }
    }

    @Test("a hash made with lower parameters needs a rehash; a stronger one does not")
    func rehashWhenParametersRise() async throws {
        try await HarnessLimiter.shared.withSlot {
            let old = try PasswordHasher(configuration: .defaults)
            var stronger = PasswordHasher.Configuration.defaults
            stronger.argon2.opsLimit = 3
            let new = try PasswordHasher(configuration: stronger)
            let weakHash = try await old.hash("correct horse")
            let strongHash = try await new.hash("correct horse")
            #expect(new.needsRehash(weakHash))
            #expect(!old.needsRehash(strongHash))
            #expect(try await new.verify("correct horse", against: weakHash))
            #expect(try await old.verify("correct horse", against: strongHash))
            #expect(new.needsRehash("$2b$12$not.an.argon2id.hash"))
            await old.shutdown()
            await new.shutdown()
        }
    }

    @Test("parameters below OWASP's minimum are refused")
    func minimumParameters() {
        var weak = PasswordHasher.Configuration.defaults
        weak.argon2.memoryLimitBytes = 8 << 20
        #expect(throws: PasswordError.self) { try PasswordHasher(configuration: weak) }
    }

    @Test("a burst queues behind the pool; beyond the waiting limit calls fail UNAVAILABLE at once")
    func burstQueues() async throws {
        try await HarnessLimiter.shared.withSlot {
            var configuration = PasswordHasher.Configuration.defaults
            configuration.concurrency = 1
            configuration.maximumWaiting = 2
            let hasher = try PasswordHasher(configuration: configuration)
            let codes = await withTaskGroup(of: RPCError.Code?.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await hasher.hash("correct horse")
                            return nil
                        } catch {
                            return (error as? RPCError)?.code ?? .unknown
                        }
                    }
                }
                var codes: [RPCError.Code?] = []
                for await code in group { codes.append(code) }
                return codes
            }
            // One runs, two wait, two are turned away.
            #expect(codes.filter { $0 == nil }.count == 3)
            #expect(codes.filter { $0 == .unavailable }.count == 2)
            await hasher.shutdown()
        }
    }

    @Test("a caller that gives up leaves the queue without hashing")
    func cancelledWaiterLeaves() async throws {
        try await HarnessLimiter.shared.withSlot {
            var configuration = PasswordHasher.Configuration.defaults
            configuration.concurrency = 1
            configuration.maximumWaiting = 1
            // Slow enough that the second caller is surely still waiting when it gives up.
            configuration.argon2.opsLimit = 10
            let hasher = try PasswordHasher(configuration: configuration)
            let running = Task { try await hasher.hash("first password") }
            try await Task.sleep(for: .milliseconds(10))
            let waiting = Task { try await hasher.hash("second password") }
            try await Task.sleep(for: .milliseconds(10))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            // Its place is free again: another caller may wait.
            let third = Task { try await hasher.hash("third password") }
            _ = try await running.value
            _ = try await third.value
            await hasher.shutdown()
        }
    }
}
