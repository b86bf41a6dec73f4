/// An issued access token with the values the auth service reports or stores alongside it.
package struct SignedToken: Hashable, Sendable {
    /// The JWS compact serialisation.
    package let token: String
    /// The `jti`.
    package let jwtID: String
    /// The `kid` it was signed with.
    package let keyID: String
    /// `iat`, in seconds since the epoch.
    package let issuedAt: Int64
    /// `exp`, in seconds since the epoch.
    package let expiresAt: Int64

    /// Seconds from issue to expiry (the OAuth `expires_in`).
    package var expiresIn: Int64 {
        expiresAt - issuedAt
    }
}
