import Sodium

/// Verifies EdDSA access tokens per RFC 8725; a synchronous, lock-free `Sendable` value for the gateway's event loops.
///
/// The order is fixed and nothing in the token chooses it: size bound, exactly three segments, header (`alg` must
/// be exactly `EdDSA` — the allowlist is this type, the header's `alg` never selects an algorithm; no `crit`; `typ`
/// as configured; `kid` looked up in `keys`), then the Ed25519 signature over `header.payload`, and only after the
/// signature verifies are the claims decoded and checked: `exp` (required), `nbf`, `iat`, `iss`, `aud`, `sub`.
/// Header members such as `jku`, `x5u` and `jwk` are ignored, so no token can make the verifier fetch or trust a
/// key. Replace `keys` (or the whole verifier) when the JWKS is refreshed.
package struct TokenVerifier: Sendable {
    /// The trusted public keys by `kid`.
    package var keys: TokenKeySet
    package let configuration: Configuration
    private let clock: TokenClock

    package init(keys: TokenKeySet, configuration: Configuration, clock: TokenClock = .system) {
        self.keys = keys
        self.configuration = configuration
        self.clock = clock
    }

    /// Verifies `token` (the part after `Bearer `) and returns its claims.
    package func verify(_ token: String) throws(TokenError) -> VerifiedClaims {
        try verify(token[...])
    }

    /// Verifies `token` (the part after `Bearer `) and returns its claims.
    package func verify(_ token: Substring) throws(TokenError) -> VerifiedClaims {
        let utf8 = token.utf8
        guard utf8.count <= configuration.maximumTokenBytes else {
            throw TokenError(.malformed, "token is too large")
        }
        guard let firstDot = utf8.firstIndex(of: UInt8(ascii: ".")) else {
            throw TokenError(.malformed, "token must have three segments")
        }
        let afterFirstDot = utf8.index(after: firstDot)
        guard let secondDot = utf8[afterFirstDot...].firstIndex(of: UInt8(ascii: ".")) else {
            throw TokenError(.malformed, "token must have three segments")
        }
        let afterSecondDot = utf8.index(after: secondDot)
        guard !utf8[afterSecondDot...].contains(UInt8(ascii: ".")) else {
            throw TokenError(.malformed, "token must have three segments")
        }

        guard let headerBytes = Base64URL.decode(bytes: utf8[..<firstDot]) else {
            throw TokenError(.malformed, "token header is not base64url")
        }
        let header = try JWSHeader(decoded: headerBytes)
        guard let algorithm = header.algorithm, algorithm.utf8.elementsEqual("EdDSA".utf8) else {
            throw TokenError(.unsupportedAlgorithm, "token algorithm must be EdDSA")
        }
        guard !header.hasCritical else {
            throw TokenError(.malformed, "token header has unsupported critical extensions")
        }
        guard let type = header.type, configuration.acceptsType(type) else {
            throw TokenError(.wrongType, "token type is not accepted")
        }
        guard let keyID = header.keyID, let key = keys.key(for: keyID) else {
            throw TokenError(.unknownKey, "token key id is not known")
        }

        guard let signature = Base64URL.decode(bytes: utf8[afterSecondDot...]),
            key.isValidSignature(signature, for: utf8[..<secondDot])
        else {
            throw TokenError(.badSignature, "token signature is invalid")
        }

        // Only now, with the signature verified, is the payload decoded and trusted.
        guard let payloadBytes = Base64URL.decode(bytes: utf8[afterFirstDot..<secondDot]) else {
            throw TokenError(.malformed, "token payload is not base64url")
        }
        return try check(ClaimSet(decoded: payloadBytes), keyID: keyID)
    }

    private func check(_ claims: ClaimSet, keyID: String) throws(TokenError) -> VerifiedClaims {
        let now = clock.now()
        let leeway = configuration.leewaySeconds
        guard let expiresAt = claims.expiresAt else {
            throw TokenError(.malformed, "token has no exp claim")
        }
        // Valid while now < exp + leeway (RFC 7519 §4.1.4); saturating, so extreme values cannot trap.
        guard now < expiresAt.addingSaturating(leeway) else {
            throw TokenError(.expired, "token has expired")
        }
        if let notBefore = claims.notBefore, now.addingSaturating(leeway) < notBefore {
            throw TokenError(.notYetValid, "token is not valid yet")
        }
        if let issuedAt = claims.issuedAt, now.addingSaturating(leeway) < issuedAt {
            throw TokenError(.notYetValid, "token was issued in the future")
        }
        guard let issuer = claims.issuer, issuer.utf8.elementsEqual(configuration.issuer.utf8) else {
            throw TokenError(.wrongIssuer, "token issuer is not accepted")
        }
        guard let audiences = claims.audiences,
            audiences.contains(where: { $0.utf8.elementsEqual(configuration.audience.utf8) })
        else {
            throw TokenError(.wrongAudience, "token audience is not accepted")
        }
        guard let subject = claims.subject, !subject.isEmpty else {
            throw TokenError(.malformed, "token has no sub claim")
        }
        return VerifiedClaims(
            subject: subject, issuer: issuer, expiresAt: expiresAt, issuedAt: claims.issuedAt,
            notBefore: claims.notBefore, jwtID: claims.jwtID, adult: claims.adult, admin: claims.admin,
            keyID: keyID)
    }
}

extension Int64 {
    /// `self + other`, clamped to the representable range instead of trapping.
    fileprivate func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
