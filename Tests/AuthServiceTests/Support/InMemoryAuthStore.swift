import AuthService
import Foundation
import RPC
import Synchronization

/// An `AuthStore` in memory, with a switch that makes every call fail as an unreachable database would.
final class InMemoryAuthStore: AuthStore {
    private struct State {
        var users: [UUID: UserRecord] = [:]
        var tokens: [UUID: RefreshTokenRecord] = [:]
        var failures: [String: [Date]] = [:]
        var down = false
    }

    private let state = Mutex(State())

    /// Every call fails UNAVAILABLE from now on (or works again).
    func setDown(_ down: Bool) {
        self.state.withLock { $0.down = down }
    }

    var userCount: Int { self.state.withLock { $0.users.count } }

    private func access<T>(_ body: (inout State) throws -> T) throws -> T {
        try self.state.withLock { state in
            guard !state.down else { throw RPCError(code: .unavailable, message: "the database is unavailable") }
            return try body(&state)
        }
    }

    func createUser(_ user: UserRecord, session: RefreshTokenRecord) async throws {
        try self.access { state in
            if let field = Self.taken(in: state, email: user.email, usernameKey: user.usernameKey) {
                throw AuthStoreError.taken(field)
            }
            state.users[user.id] = user
            state.tokens[session.id] = session
        }
    }

    func takenField(email: String, usernameKey: String) async throws -> AccountField? {
        try self.access { Self.taken(in: $0, email: email, usernameKey: usernameKey) }
    }

    func user(id: UUID) async throws -> UserRecord? {
        try self.access { $0.users[id] }
    }

    func user(email: String) async throws -> UserRecord? {
        try self.access { $0.users.values.first { $0.email == email } }
    }

    func updateProfile(userID: UUID, displayName: String?, adultMode: Bool?, at: Date) async throws -> UserRecord? {
        try self.access { state in
            guard var user = state.users[userID] else { return nil }
            if let displayName { user.displayName = displayName }
            if let adultMode { user.adultMode = adultMode }
            user.updatedAt = at
            state.users[userID] = user
            return user
        }
    }

    func updatePasswordHash(userID: UUID, passwordHash: String, at: Date) async throws {
        try self.access { state in
            state.users[userID]?.passwordHash = passwordHash
            state.users[userID]?.updatedAt = at
        }
    }

    func loginFailures(account: String, since: Date) async throws -> [Date] {
        try self.access { ($0.failures[account] ?? []).filter { $0 > since }.sorted() }
    }

    func recordLoginFailure(account: String, at: Date, pruneBefore: Date) async throws {
        try self.access { state in
            state.failures[account, default: []].removeAll { $0 < pruneBefore }
            state.failures[account, default: []].append(at)
        }
    }

    func clearLoginFailures(account: String) async throws {
        try self.access { $0.failures[account] = nil }
    }

    func createSession(_ token: RefreshTokenRecord) async throws {
        try self.access { $0.tokens[token.id] = token }
    }

    func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try self.access { $0.tokens.values.first { $0.tokenHash == hash } }
    }

    func rotate(_ spent: RefreshTokenRecord, to next: RefreshTokenRecord, at: Date) async throws -> Bool {
        try self.access { state in
            guard var current = state.tokens[spent.id], current.spentAt == nil, current.revokedAt == nil else {
                return false
            }
            current.spentAt = at
            current.replacedByID = next.id
            state.tokens[spent.id] = current
            state.tokens[next.id] = next
            return true
        }
    }

    func revokeFamily(_ familyID: UUID, at: Date) async throws {
        try self.access { state in
            for (id, token) in state.tokens where token.familyID == familyID && token.revokedAt == nil {
                state.tokens[id]?.revokedAt = at
            }
        }
    }

    func ping() async throws {
        try self.access { _ in }
    }

    private static func taken(in state: State, email: String, usernameKey: String) -> AccountField? {
        if state.users.values.contains(where: { $0.email == email }) { return .email }
        if state.users.values.contains(where: { $0.usernameKey == usernameKey }) { return .username }
        return nil
    }
}
