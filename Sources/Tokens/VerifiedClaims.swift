/// The claims of an access token that passed every check of `TokenVerifier`.
package struct VerifiedClaims: Hashable, Sendable {
    /// The user id (`sub`).
    package let subject: String
    /// The issuer (`iss`), equal to the configured one.
    package let issuer: String
    /// `exp`, in seconds since the epoch.
    package let expiresAt: Int64
    /// `iat`, if present.
    package let issuedAt: Int64?
    /// `nbf`, if present.
    package let notBefore: Int64?
    /// The token id (`jti`), if present.
    package let jwtID: String?
    /// Adult and in adult mode (`adult`; false when absent).
    package let adult: Bool
    /// Administrator (`admin`; false when absent).
    package let admin: Bool
    /// The `kid` of the key that verified the signature.
    package let keyID: String
}
