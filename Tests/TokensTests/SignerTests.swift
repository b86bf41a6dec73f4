import Sodium
import Testing

@testable import Tokens

@Suite("TokenSigner")
struct SignerTests {
    @Test("a signed token verifies and carries the claims")
    func roundTrip() throws {
        let signed = Fixtures.signer().sign(AccessTokenClaims(subject: "user-42", adult: true, admin: false))
        let claims = try Fixtures.verifier().verify(signed.token)
        #expect(claims.subject == "user-42")
        #expect(claims.issuer == Fixtures.issuer)
        #expect(claims.adult)
        #expect(!claims.admin)
        #expect(claims.issuedAt == Fixtures.now)
        #expect(claims.expiresAt == Fixtures.now + Fixtures.lifetime)
        #expect(claims.notBefore == nil)
        #expect(claims.jwtID == signed.jwtID)
        #expect(claims.keyID == "key-1")
        #expect(signed.expiresIn == Fixtures.lifetime)
        #expect(signed.keyID == "key-1")
    }

    @Test("the header is exactly alg EdDSA, typ at+jwt and the kid")
    func header() throws {
        let signed = Fixtures.signer().sign(AccessTokenClaims(subject: "u"))
        let headerPart = try #require(signed.token.split(separator: ".").first)
        let header = try JSONParser.parseObject(try #require(Base64URL.decode(headerPart)))
        #expect(header.members.map(\.name) == ["alg", "typ", "kid"])
        #expect(header["alg"] == .string("EdDSA"))
        #expect(header["typ"] == .string("at+jwt"))
        #expect(header["kid"] == .string("key-1"))
    }

    @Test("the payload holds iss, sub, aud, exp, nbf, iat, jti, adult and admin")
    func payload() throws {
        let signed = Fixtures.signer().sign(
            AccessTokenClaims(subject: "u\"quoted\"", admin: true, notBefore: Fixtures.now + 5))
        let parts = signed.token.split(separator: ".")
        let payload = try JSONParser.parseObject(try #require(Base64URL.decode(parts[1])))
        #expect(payload.members.map(\.name) == ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "adult", "admin"])
        #expect(payload["sub"] == .string("u\"quoted\""))
        #expect(payload["aud"] == .string(Fixtures.audience))
        #expect(payload["nbf"] == .integer(Fixtures.now + 5))
        #expect(payload["admin"] == .bool(true))
        #expect(payload["adult"] == .bool(false))
    }

    @Test("every token gets a fresh jti")
    func uniqueIDs() {
        let signer = Fixtures.signer()
        let ids = Set((0..<50).map { _ in signer.sign(AccessTokenClaims(subject: "u")).jwtID })
        #expect(ids.count == 50)
        #expect(ids.allSatisfy { $0.utf8.count == 22 })
    }

    @Test("after rotation the new key signs and tokens of the previous key still verify")
    func rotation() throws {
        let oldSet = SigningKeySet(current: Fixtures.signingKey)
        let newKey = SigningKey(keyPair: Ed25519.KeyPair())
        let rotated = oldSet.rotated(to: newKey)
        #expect(rotated.current.keyID == newKey.keyID)
        #expect(rotated.previous.map(\.keyID) == ["key-1"])
        #expect(rotated.rotated(to: SigningKey(keyPair: Ed25519.KeyPair())).previous.map(\.keyID) == [newKey.keyID])

        let configuration = TokenSigner.Configuration(issuer: Fixtures.issuer, audience: Fixtures.audience)
        let oldToken = TokenSigner(keys: oldSet, configuration: configuration, clock: .fixed(Fixtures.now))
            .sign(AccessTokenClaims(subject: "u")).token
        let newToken = TokenSigner(keys: rotated, configuration: configuration, clock: .fixed(Fixtures.now))
            .sign(AccessTokenClaims(subject: "u"))
        #expect(newToken.keyID == newKey.keyID)

        let verifier = TokenVerifier(
            keys: rotated.verificationKeys, configuration: .init(issuer: Fixtures.issuer, audience: Fixtures.audience),
            clock: .fixed(Fixtures.now))
        #expect(try verifier.verify(oldToken).keyID == "key-1")
        #expect(try verifier.verify(newToken.token).keyID == newKey.keyID)
        // A verifier that only knows the new key refuses the old token.
        let newOnly = TokenVerifier(
            keys: SigningKeySet(current: newKey).verificationKeys, configuration: verifier.configuration,
            clock: .fixed(Fixtures.now))
        #expect(refusal(newOnly, oldToken) == .unknownKey)
    }

    @Test("duplicate kids in a signing key set are dropped")
    func duplicates() {
        let set = SigningKeySet(
            current: Fixtures.signingKey,
            previous: [Fixtures.signingKey, SigningKey(keyPair: Ed25519.KeyPair(), keyID: "key-2")])
        #expect(set.all.map(\.keyID) == ["key-1", "key-2"])
    }
}
