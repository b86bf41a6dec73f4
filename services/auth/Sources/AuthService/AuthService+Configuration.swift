extension AuthService {
    /// What the service issues and how it guards logins.
    package struct Configuration: Sendable {
        /// The `iss` of access tokens; the gateway's verifier must expect the same.
        package var issuer: String
        /// The `aud` of access tokens.
        package var audience: String
        /// Lifetime of access tokens (`exp` - `iat`); 15 minutes by default.
        package var accessTokenLifetime: Duration
        /// Lifetime of a refresh token from its issue; each rotation starts a new one.
        package var refreshTokenLifetime: Duration
        /// Failed logins per account before RESOURCE_EXHAUSTED, and the window they count in.
        package var loginThrottle: LoginThrottle

        package init(
            issuer: String = "halo-auth", audience: String = "halo", accessTokenLifetime: Duration = .seconds(15 * 60),
            refreshTokenLifetime: Duration = .seconds(30 * 24 * 3600),
            passwords: PasswordHasher.Configuration = .defaults,
            loginThrottle: LoginThrottle = .defaults
        ) {
            self.issuer = issuer
            self.audience = audience
            self.accessTokenLifetime = accessTokenLifetime
            self.refreshTokenLifetime = refreshTokenLifetime
            self.loginThrottle = loginThrottle
        }

        package static var defaults: Self { Self() }
    }
}
