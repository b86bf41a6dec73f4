import AuthService
import Foundation
import Protos
import RPC
import Testing
import Tokens

@Suite("Access tokens and JWKS")
struct TokenTests {
    @Test("access tokens verify against the JWKS and carry the right claims", arguments: Backend.allCases)
    func claims(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let response = try await harness.register(birthDate: "1990-01-01")
            let claims = try await harness.verifier().verify(response.accessToken)
            let now = Int64(ManualClock.start.timeIntervalSince1970)
            #expect(claims.subject == response.user.id)
            #expect(claims.issuer == AuthHarness.issuer)
            #expect(claims.issuedAt == now)
            #expect(claims.expiresAt == now + 900)
            #expect(claims.jwtID.map { $0.count >= 16 } == true)
            #expect(claims.adult == false)
            #expect(claims.admin == false)
            #expect(claims.keyID == harness.keys.current.keyID)

            let parts = response.accessToken.split(separator: ".")
            let header = String(decoding: Base64URL.decode(String(parts[0])) ?? [], as: UTF8.self)
            #expect(header.contains(#""alg":"EdDSA""#))
            #expect(header.contains(#""typ":"at+jwt""#))
            #expect(header.contains(#""kid":"\#(harness.keys.current.keyID)""#))
            let payload = String(decoding: Base64URL.decode(String(parts[1])) ?? [], as: UTF8.self)
            #expect(payload.contains(#""aud":"\#(AuthHarness.audience)""#))

            // Every token has its own jti.
            let again = try await harness.verifier().verify(try await harness.login().accessToken)
            #expect(again.jwtID != claims.jwtID)
        }
    }

    @Test("access tokens expire after 15 minutes", arguments: Backend.allCases)
    func expiry(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let token = try await harness.register().accessToken
            let verifier = try await harness.verifier()
            harness.clock.advance(by: 900 + 29)
            _ = try verifier.verify(token)  // within the verifier's 30 s leeway
            harness.clock.advance(by: 1)
            #expect(throws: TokenError.self) { try verifier.verify(token) }
        }
    }

    @Test("the token lifetime is configurable", arguments: Backend.allCases)
    func lifetime(backend: Backend) async throws {
        try await AuthHarness.with(backend, configure: { $0.accessTokenLifetime = .seconds(300) }) { harness in
            let response = try await harness.register()
            #expect(response.expiresIn == 300)
            let claims = try await harness.verifier().verify(response.accessToken)
            #expect(claims.expiresAt - (claims.issuedAt ?? 0) == 300)
        }
    }

    @Test("JWKS publishes the current key, as Ed25519 JWKs, and the key file is mode 0600", arguments: Backend.allCases)
    func jwks(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let jwks = try await harness.jwks()
            #expect(jwks.keys.count == 1)
            let key = try #require(jwks.keys.first)
            #expect(key.kty == "OKP" && key.crv == "Ed25519" && key.alg == "EdDSA" && key.use == "sig")
            #expect(key.kid == harness.keys.current.keyID)
            #expect(Base64URL.decode(key.x)?.count == 32)
            #expect(try permissions(harness.dataDirectory + "/" + SigningKeyFiles.currentName) == 0o600)
        }
    }
}
