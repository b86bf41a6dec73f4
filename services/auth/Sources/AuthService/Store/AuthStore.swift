package import struct Foundation.Date
package import struct Foundation.UUID

/// Which unique account field a registration collides with.
package enum AccountField: Hashable, Sendable {
    case email
    case username
}

/// What the store reports beyond "the database failed".
package enum AuthStoreError: Error, Hashable, Sendable {
    /// A user with this email or username (compared case-insensitively) exists.
    case taken(AccountField)
}

/// The auth service's storage: users, refresh tokens and login failures. Implementations throw
/// `AuthStoreError` for conflicts and their database's errors for everything else.
package protocol AuthStore: Sendable {
    /// Creates a user and the refresh token of its first session in one transaction: both or neither.
    func createUser(_ user: UserRecord, session: RefreshTokenRecord) async throws
    /// Which field of a would-be account is already taken, if any (email first).
    func takenField(email: String, usernameKey: String) async throws -> AccountField?
    func user(id: UUID) async throws -> UserRecord?
    /// The user with this (lower-cased) email.
    func user(email: String) async throws -> UserRecord?
    /// Changes the fields given and `updatedAt`; returns the updated user, nil if it does not exist.
    func updateProfile(userID: UUID, displayName: String?, adultMode: Bool?, at: Date) async throws -> UserRecord?
    func updatePasswordHash(userID: UUID, passwordHash: String, at: Date) async throws

    /// When the failed logins for `account` since `since` happened, oldest first.
    func loginFailures(account: String, since: Date) async throws -> [Date]
    /// Records a failed login, dropping this account's records older than `pruneBefore`, and a bounded
    /// batch of other accounts' records older than that (the oldest first).
    func recordLoginFailure(account: String, at: Date, pruneBefore: Date) async throws
    func clearLoginFailures(account: String) async throws

    /// Stores the first token of a new session.
    func createSession(_ token: RefreshTokenRecord) async throws
    /// The token with this hash.
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Marks `spent` spent and replaced by `next`, and stores `next`, in one transaction. False (and no change)
    /// when `spent` was already spent or revoked: another caller presented it first.
    func rotate(_ spent: RefreshTokenRecord, to next: RefreshTokenRecord, at: Date) async throws -> Bool
    /// Revokes every unrevoked token of a family.
    func revokeFamily(_ familyID: UUID, at: Date) async throws
}
