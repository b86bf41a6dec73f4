import Foundation
import Logging
import Protos
import RPC
import ServiceSupport
import SwiftProtobuf

extension AuthService {
    /// The one answer for an unknown email and a wrong password.
    static let invalidCredentials = RPCError(code: .unauthenticated, message: "invalid email or password")

    /// Checks the per-account throttle, then the password (against a dummy hash for unknown emails, so both
    /// failures take as long and answer alike), records failures, and starts a session. A wrong password of
    /// any length up to the byte cap is UNAUTHENTICATED, exactly like an unknown email: length rules are Register's.
    func login(
        _ request: Halo_Auth_V1_LoginRequest, context: ServerContext
    ) async throws
        -> Halo_Auth_V1_TokenResponse
    {
        guard !request.email.isEmpty else {
            throw FieldViolations("email", "email is required").error(message: "email is required")
        }
        guard request.email.utf8.count <= AccountRules.maximumEmailLength else {
            throw FieldViolations("email", "email must be at most 254 characters").error(
                message: "email must be at most 254 characters")
        }
        let password = try AccountRules.loginPassword(request.password)
        // Lower-cased like stored emails; a malformed address simply matches no account.
        let email = String(decoding: request.email.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        let account = LoginThrottle.accountKey(email: email)
        // Check, verify and record as one step per account (in this process): a parallel burst queues here
        // and sees the failures recorded before it, instead of all passing the check at once.
        return try await self.loginGate.withPermit(for: account) {
            try await self.attemptLogin(email: email, password: password, account: account)
        }
    }

    private func attemptLogin(
        email: String, password: String, account: String
    ) async throws
        -> Halo_Auth_V1_TokenResponse
    {
        let throttle = self.configuration.loginThrottle
        let now = self.clock.now()
        let failures = try await self.withStore {
            try await $0.loginFailures(account: account, since: throttle.windowStart(at: now))
        }
        if let seconds = throttle.retryAfter(failures: failures, now: now) {
            var metadata = Metadata()
            metadata.add("retry-after", String(seconds))
            throw RPCError(
                code: .resourceExhausted, message: "too many failed logins; try again in \(seconds) seconds",
                metadata: metadata)
        }

        let user = try await self.withStore { try await $0.user(email: email) }
        // A password Register would refuse matches no account: it is a wrong password, whichever the email,
        // and it never reaches the hasher.
        let matches =
            AccountRules.couldBeRegistered(password)
            ? try await self.hasher.verify(password, against: user?.passwordHash) : false
        guard matches, let user else {
            try await self.withStore {
                try await $0.recordLoginFailure(account: account, at: now, pruneBefore: throttle.windowStart(at: now))
            }
            throw Self.invalidCredentials
        }

        if !failures.isEmpty {
            try await self.withStore { try await $0.clearLoginFailures(account: account) }
        }
        if self.hasher.needsRehash(user.passwordHash) {
            await self.rehash(user, password: password)
        }
        let session = self.newSession(userID: user.id, familyID: nil, parentID: nil, now: now)
        try await self.withStore { try await $0.createSession(session.record) }
        return self.tokenResponse(for: user, refreshToken: session.token, now: now)
    }

    /// Re-hashes a password made with older parameters; a failure only postpones it to the next login.
    private func rehash(_ user: UserRecord, password: String) async {
        do {
            let passwordHash = try await self.hasher.hash(password)
            try await self.withStore {
                try await $0.updatePasswordHash(userID: user.id, passwordHash: passwordHash, at: self.clock.now())
            }
            self.logger.info("password rehashed", metadata: ["user_id": "\(user.id)"])
        } catch {
            self.logger.warning("password rehash failed", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }
}
