import Logging
import Protos
import RPC
import SwiftProtobuf

extension AuthService {
    /// Validates everything, refuses taken emails and usernames, hashes the password, then creates the user
    /// and its first session in one transaction.
    func register(
        _ request: Halo_Auth_V1_RegisterRequest, context: ServerContext
    ) async throws
        -> Halo_Auth_V1_TokenResponse
    {
        let now = self.clock.now()
        let today = BirthDate(utcDateOf: now)
        let email = try AccountRules.email(request.email)
        let username = try AccountRules.username(request.username)
        let password = try AccountRules.password(request.password)
        // Empty counts as absent: JSON clients often send "" for "not given".
        let displayName = request.displayName.isEmpty ? username : try AccountRules.displayName(request.displayName)
        let birthDate = request.birthDate.isEmpty ? nil : try AccountRules.birthDate(request.birthDate, today: today)

        let usernameKey = UserRecord.usernameKey(username)
        if let taken = try await self.withStore({ try await $0.takenField(email: email, usernameKey: usernameKey) }) {
            throw Self.alreadyExists(taken)
        }
        let passwordHash = try await self.hasher.hash(password)
        let user = UserRecord(
            id: self.makeID(now: now), email: email, username: username, passwordHash: passwordHash,
            displayName: displayName, birthDate: birthDate, createdAt: now, updatedAt: now)
        let session = self.newSession(userID: user.id, familyID: nil, parentID: nil, now: now)
        try await self.withStore { try await $0.createUser(user, session: session.record) }
        self.logger.info("user registered", metadata: ["user_id": "\(user.id)"])
        return self.tokenResponse(for: user, refreshToken: session.token, now: now)
    }

    static func alreadyExists(_ field: AccountField) -> RPCError {
        switch field {
        case .email: RPCError(code: .alreadyExists, message: "email is already registered")
        case .username: RPCError(code: .alreadyExists, message: "username is already taken")
        }
    }
}
