package import struct Foundation.Date
package import struct Foundation.UUID

/// A stored account.
package struct UserRecord: Hashable, Sendable {
    package var id: UUID
    /// Lower-cased; unique.
    package var email: String
    /// As registered; unique compared case-insensitively.
    package var username: String
    /// Argon2id PHC string.
    package var passwordHash: String
    package var displayName: String
    package var birthDate: BirthDate?
    /// The user's choice; only effective while the user is an adult.
    package var adultMode: Bool
    package var isAdmin: Bool
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: UUID, email: String, username: String, passwordHash: String, displayName: String, birthDate: BirthDate?,
        adultMode: Bool = false, isAdmin: Bool = false, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.email = email
        self.username = username
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.birthDate = birthDate
        self.adultMode = adultMode
        self.isAdmin = isAdmin
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The key usernames are unique by.
    package var usernameKey: String { Self.usernameKey(self.username) }

    package static func usernameKey(_ username: String) -> String { username.lowercased() }
}
