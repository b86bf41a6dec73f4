/// What the auth service decides about a user when issuing an access token; the signer adds the rest.
package struct AccessTokenClaims: Hashable, Sendable {
    /// The user id (`sub`).
    package var subject: String
    /// The user is an adult and has adult mode on (`adult`).
    package var adult: Bool
    /// The user is an administrator (`admin`).
    package var admin: Bool
    /// An optional `nbf`, in seconds since the epoch.
    package var notBefore: Int64?

    package init(subject: String, adult: Bool = false, admin: Bool = false, notBefore: Int64? = nil) {
        self.subject = subject
        self.adult = adult
        self.admin = admin
        self.notBefore = notBefore
    }
}
