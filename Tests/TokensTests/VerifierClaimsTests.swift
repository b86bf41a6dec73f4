import Testing
import Tokens

/// RELIABILITY.md cases 15 and 16: claims are read only after the signature, then checked strictly.
@Suite("TokenVerifier: claims")
struct VerifierClaimsTests {
    let verifier = Fixtures.verifier()
    let now = Fixtures.now

    @Test("a payload changed after signing is refused (sub of another user, admin true)")
    func tampered() {
        let token = Fixtures.token()
        let parts = token.split(separator: ".").map(String.init)
        for forged in [Fixtures.payload(sub: "user-2"), Fixtures.payload(extra: #""admin":true"#)] {
            #expect(refusal(verifier, parts[0] + "." + Fixtures.b64(forged) + "." + parts[2]) == .badSignature)
        }
    }

    @Test("no claim is read before the signature verifies")
    func signatureFirst() {
        let parts = Fixtures.token().split(separator: ".").map(String.init)
        let forgedPayloads = [
            Fixtures.payload(exp: now - 3600, iss: "https://evil.example", aud: #""nobody""#),
            Fixtures.payload(exp: nil), "not json", "[]", #"{"exp":"soon"}"#,
        ]
        for forged in forgedPayloads {
            #expect(refusal(verifier, parts[0] + "." + Fixtures.b64(forged) + "." + parts[2]) == .badSignature)
        }
        // Even a payload segment that is not base64url is only looked at after the signature.
        #expect(refusal(verifier, parts[0] + ".!!!." + parts[2]) == .badSignature)
    }

    @Test("exp: accepted until exp + leeway, refused from then on")
    func expiryBoundaries() {
        let exp = now + 100
        let token = Fixtures.token(payload: Fixtures.payload(exp: exp))
        #expect(refusal(Fixtures.verifier(at: exp - 1, leeway: .zero), token) == nil)  // exp - 1 s
        #expect(refusal(Fixtures.verifier(at: exp, leeway: .zero), token) == .expired)
        #expect(refusal(Fixtures.verifier(at: exp + 10), token) == nil)  // within the 30 s leeway
        #expect(refusal(Fixtures.verifier(at: exp + 29), token) == nil)
        #expect(refusal(Fixtures.verifier(at: exp + 30), token) == .expired)
        #expect(refusal(Fixtures.verifier(at: exp + 31), token) == .expired)  // exp + leeway + 1 s
        #expect(refusal(Fixtures.verifier(at: exp + 3600), token) == .expired)
    }

    @Test(
        "a missing or non-numeric exp is refused",
        arguments: ["", #""exp":"9999999999""#, #""exp":1e400"#, #""exp":null"#, #""exp":true"#])
    func missingExpiry(extra: String) {
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(exp: nil, extra: extra))) == .malformed)
    }

    @Test("extreme and fractional exp values are handled without trapping")
    func extremeExpiry() {
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(exp: .max))) == nil)
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(exp: .min))) == .expired)
        #expect(
            refusal(verifier, Fixtures.token(payload: Fixtures.payload(exp: nil, extra: #""exp":1700000900.75"#)))
                == nil)
        #expect(
            refusal(
                verifier, Fixtures.token(payload: Fixtures.payload(exp: nil, extra: #""exp":99999999999999999999"#)))
                == .malformed)
        #expect(refusal(Fixtures.verifier(at: .max), Fixtures.token(payload: Fixtures.payload(exp: .max))) == .expired)
    }

    @Test("nbf: refused while more than the leeway in the future")
    func notBefore() {
        for (nbf, expected) in [
            (now + 31, TokenError.Code.notYetValid), (now + 3600, .notYetValid), (now + 30, nil), (now, nil),
            (now - 60, nil),
        ] {
            let token = Fixtures.token(payload: Fixtures.payload(extra: #""nbf":\#(nbf)"#))
            #expect(refusal(verifier, token) == expected)
        }
        #expect(
            refusal(
                Fixtures.verifier(leeway: .zero),
                Fixtures.token(payload: Fixtures.payload(extra: #""nbf":\#(now + 1)"#))) == .notYetValid)
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(extra: #""nbf":.min"#))) == .malformed)
    }

    @Test("iat in the future beyond the leeway is refused")
    func issuedInFuture() {
        let payload = { (iat: Int64) in
            #"{"iss":"\#(Fixtures.issuer)","sub":"u","aud":"\#(Fixtures.audience)","exp":\#(iat + 900),"iat":\#(iat)}"#
        }
        #expect(refusal(verifier, Fixtures.token(payload: payload(now + 31))) == .notYetValid)
        #expect(refusal(verifier, Fixtures.token(payload: payload(now + 30))) == nil)
    }

    @Test("the leeway is clamped to 0...60 s")
    func leewayClamp() {
        #expect(Fixtures.verifier(leeway: .seconds(600)).configuration.leeway == .seconds(60))
        #expect(Fixtures.verifier(leeway: .seconds(-5)).configuration.leeway == .zero)
        #expect(TokenVerifier.Configuration(issuer: "i", audience: "a").leeway == .seconds(30))
        let token = Fixtures.token(payload: Fixtures.payload(exp: now - 120))
        #expect(refusal(Fixtures.verifier(leeway: .seconds(600)), token) == .expired)
        let recent = Fixtures.token(payload: Fixtures.payload(exp: now - 59))
        #expect(refusal(Fixtures.verifier(leeway: .seconds(600)), recent) == nil)
    }

    @Test(
        "a wrong or missing iss is refused",
        arguments: [Optional("https://evil.example"), "https://auth.halo.test/", "HTTPS://AUTH.HALO.TEST", "", nil])
    func wrongIssuer(iss: String?) {
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(iss: iss))) == .wrongIssuer)
    }

    @Test(
        "a wrong or missing aud is refused",
        arguments: [Optional(#""other-service""#), #""HALO-GATEWAY""#, #"[]"#, #"["a","b"]"#, nil])
    func wrongAudience(aud: String?) {
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(aud: aud))) == .wrongAudience)
    }

    @Test("aud may be an array that contains the audience")
    func audienceArray() {
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(aud: #"["other","halo-gateway"]"#))) == nil)
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(aud: #"["halo-gateway",1]"#))) == .malformed)
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(aud: "42"))) == .malformed)
    }

    @Test(
        "claims of the wrong JSON type are malformed",
        arguments: [#""admin":"true""#, #""adult":1"#, #""jti":5"#, #""iat":"now""#])
    func wrongTypes(extra: String) {
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(extra: extra))) == .malformed)
    }

    @Test("sub is required and non-empty")
    func subject() {
        let noSubject = #"{"iss":"\#(Fixtures.issuer)","aud":"\#(Fixtures.audience)","exp":\#(now + 900)}"#
        #expect(refusal(verifier, Fixtures.token(payload: noSubject)) == .malformed)
        #expect(refusal(verifier, Fixtures.token(payload: Fixtures.payload(sub: ""))) == .malformed)
    }

    @Test("adult and admin default to false and are read when present")
    func flags() throws {
        let plain = try verifier.verify(Fixtures.token())
        #expect(!plain.adult && !plain.admin)
        let flagged = try verifier.verify(
            Fixtures.token(payload: Fixtures.payload(extra: #""adult":true,"admin":true,"unknown":{"nested":[1,2]}"#)))
        #expect(flagged.adult && flagged.admin)
        #expect(flagged.jwtID == "jti-1")
    }

    @Test("errors build a Bearer invalid_token challenge without token content")
    func challenge() {
        let error = TokenError(.expired, "token has expired")
        #expect(error.bearerError == "invalid_token")
        #expect(error.wwwAuthenticate() == #"Bearer error="invalid_token", error_description="token has expired""#)
        #expect(
            error.wwwAuthenticate(realm: "ha\"lo")
                == #"Bearer realm="halo", error="invalid_token", error_description="token has expired""#)
        do {
            _ = try verifier.verify(Fixtures.token(header: #"{"alg":"EdDSA","typ":"at+jwt","kid":"\"secret\""}"#))
        } catch {
            #expect(!error.message.contains("secret"))
            #expect(!error.message.contains("\""))
        }
    }
}
