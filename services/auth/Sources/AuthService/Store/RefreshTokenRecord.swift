package import struct Foundation.Date
package import struct Foundation.UUID

/// A stored refresh token: only its SHA-256, its family (every token descended from one login) and its place
/// in the rotation chain.
package struct RefreshTokenRecord: Hashable, Sendable {
    package var id: UUID
    package var userID: UUID
    package var familyID: UUID
    /// Lower-case hex SHA-256 of the token text; unique.
    package var tokenHash: String
    /// The token this one replaced, nil for the first of a family.
    package var parentID: UUID?
    /// The token that replaced this one once it was spent.
    package var replacedByID: UUID?
    package var createdAt: Date
    package var expiresAt: Date
    /// Set when the token was exchanged; presenting it again revokes the family.
    package var spentAt: Date?
    /// Set when the family was revoked (logout or reuse).
    package var revokedAt: Date?

    package init(
        id: UUID, userID: UUID, familyID: UUID, tokenHash: String, parentID: UUID?, replacedByID: UUID? = nil,
        createdAt: Date, expiresAt: Date, spentAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.familyID = familyID
        self.tokenHash = tokenHash
        self.parentID = parentID
        self.replacedByID = replacedByID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.spentAt = spentAt
        self.revokedAt = revokedAt
    }
}
