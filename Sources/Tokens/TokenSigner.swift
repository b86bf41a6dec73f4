package import Sodium

/// Issues EdDSA-signed access tokens: header `{"alg":"EdDSA","typ":"at+jwt","kid":…}`, claims iss, sub, aud,
/// exp, nbf (optional), iat, jti, adult, admin.
package struct TokenSigner: Sendable {
    /// What every token this signer issues says about its origin and lifetime.
    package struct Configuration: Hashable, Sendable {
        /// The `iss` claim.
        package var issuer: String
        /// The `aud` claim.
        package var audience: String
        /// Time from `iat` to `exp`; 15 minutes by default.
        package var lifetime: Duration
        /// The header's `typ`.
        package var type: String

        package init(issuer: String, audience: String, lifetime: Duration = .seconds(15 * 60), type: String = "at+jwt")
        {
            self.issuer = issuer
            self.audience = audience
            self.lifetime = lifetime
            self.type = type
        }
    }

    /// The keys; `current` signs.
    package let keys: SigningKeySet
    package let configuration: Configuration
    private let clock: TokenClock

    package init(keys: SigningKeySet, configuration: Configuration, clock: TokenClock = .system) {
        self.keys = keys
        self.configuration = configuration
        self.clock = clock
    }

    /// Signs an access token for `claims` with the current key, valid from now for `configuration.lifetime`.
    package func sign(_ claims: AccessTokenClaims) -> SignedToken {
        let key = keys.current
        let issuedAt = clock.now()
        let expiresAt = issuedAt + max(1, configuration.lifetime.components.seconds)
        let jwtID = Base64URL.encode(SecureRandom.bytes(count: 16))

        var header = JSONWriter()
        header.add("alg", "EdDSA")
        header.add("typ", configuration.type)
        header.add("kid", key.keyID)

        var payload = JSONWriter()
        payload.add("iss", configuration.issuer)
        payload.add("sub", claims.subject)
        payload.add("aud", configuration.audience)
        payload.add("exp", expiresAt)
        if let notBefore = claims.notBefore {
            payload.add("nbf", notBefore)
        }
        payload.add("iat", issuedAt)
        payload.add("jti", jwtID)
        payload.add("adult", claims.adult)
        payload.add("admin", claims.admin)

        let token = Self.compact(header: header.finish(), payload: payload.finish(), keyPair: key.keyPair)
        return SignedToken(token: token, jwtID: jwtID, keyID: key.keyID, issuedAt: issuedAt, expiresAt: expiresAt)
    }

    /// The JWS compact serialisation of `header` and `payload` (JSON texts) signed with `keyPair`.
    package static func compact(header: String, payload: String, keyPair: Ed25519.KeyPair) -> String {
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return signingInput + "." + Base64URL.encode(keyPair.signature(for: Array(signingInput.utf8)))
    }
}
