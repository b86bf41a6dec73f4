import Sodium
import Testing
import Tokens

/// RELIABILITY.md cases 14, 15 and 17: the header is untrusted; only EdDSA with a known kid passes.
@Suite("TokenVerifier: header")
struct VerifierHeaderTests {
    let verifier = Fixtures.verifier()

    @Test("a well-formed token is accepted (the control for every refusal below)")
    func control() throws {
        #expect(try verifier.verify(Fixtures.token()).subject == "user-1")
    }

    @Test("alg none in any casing with an empty signature is refused", arguments: ["none", "None", "NONE", "nOnE"])
    func algNone(alg: String) {
        let header = #"{"alg":"\#(alg)","typ":"at+jwt","kid":"key-1"}"#
        let token = Fixtures.b64(header) + "." + Fixtures.b64(Fixtures.payload()) + "."
        #expect(refusal(verifier, token) == .unsupportedAlgorithm)
        // Keeping a valid EdDSA signature does not help either: the header says none.
        #expect(refusal(verifier, Fixtures.token(header: header)) == .unsupportedAlgorithm)
    }

    @Test(
        "any alg but exactly EdDSA is refused",
        arguments: [
            #""HS256""#, #""RS256""#, #""ES256""#, #""PS256""#, #""eddsa""#, #""EDDSA""#, #""EdDSA ""#, #""Ed25519""#,
            #""""#, #"["EdDSA"]"#, "null", "1",
        ])
    func otherAlgorithms(alg: String) {
        let header = #"{"alg":\#(alg),"typ":"at+jwt","kid":"key-1"}"#
        #expect(refusal(verifier, Fixtures.token(header: header)) == .unsupportedAlgorithm)
    }

    @Test("a header without alg is refused")
    func missingAlgorithm() {
        #expect(refusal(verifier, Fixtures.token(header: #"{"typ":"at+jwt","kid":"key-1"}"#)) == .unsupportedAlgorithm)
    }

    @Test("HS256 signed with the public key as HMAC secret is refused")
    func hmacConfusion() {
        let publicKey = Fixtures.keyPair.publicKey.bytes
        let secrets: [[UInt8]] = [
            publicKey, Array(Fixtures.rfcPublicKey.utf8), Array(Fixtures.signingKey.publicJWK.utf8),
        ]
        for secret in secrets {
            for alg in ["HS256", "EdDSA"] {
                let signingInput =
                    Fixtures.b64(#"{"alg":"\#(alg)","typ":"at+jwt","kid":"key-1"}"#) + "."
                    + Fixtures.b64(Fixtures.payload())
                let mac = HMACSHA256.authenticationCode(for: Array(signingInput.utf8), key: secret)
                let token = signingInput + "." + Base64URL.encode(mac)
                #expect(refusal(verifier, token) == (alg == "HS256" ? .unsupportedAlgorithm : .badSignature))
            }
        }
    }

    @Test("an all-zero signature (CVE-2022-21449 style r=s=0) is refused")
    func zeroSignature() {
        let payload = Fixtures.b64(Fixtures.payload())
        let zeros = Base64URL.encode([UInt8](repeating: 0, count: 64))
        let es256 = Fixtures.b64(#"{"alg":"ES256","typ":"at+jwt","kid":"key-1"}"#) + ".\(payload).\(zeros)"
        let eddsa = Fixtures.b64(Fixtures.validHeader) + ".\(payload).\(zeros)"
        #expect(refusal(verifier, es256) == .unsupportedAlgorithm)
        #expect(refusal(verifier, eddsa) == .badSignature)
    }

    @Test(
        "unknown, missing, malicious or oversized kids are refused by lookup alone",
        arguments: [
            #""key-2""#, #""KEY-1""#, #""../../dev/null""#, #""' OR 1=1 --""#, #""key-1\u0000""#, #""""#, "1", "null",
            #"["key-1"]"#, "\"" + String(repeating: "k", count: 200) + "\"",
        ])
    func badKeyIDs(kid: String) {
        let header = #"{"alg":"EdDSA","typ":"at+jwt","kid":\#(kid)}"#
        #expect(refusal(verifier, Fixtures.token(header: header)) == .unknownKey)
    }

    @Test("a header without kid is refused")
    func missingKeyID() {
        #expect(refusal(verifier, Fixtures.token(header: #"{"alg":"EdDSA","typ":"at+jwt"}"#)) == .unknownKey)
    }

    @Test("a token signed by an unknown key is refused even with a trusted kid")
    func unknownSigner() {
        #expect(refusal(verifier, Fixtures.token(key: Fixtures.otherKeyPair)) == .badSignature)
    }

    @Test("embedded jwk, jku and x5u are never used to find a key")
    func embeddedKeys() {
        let attacker = Fixtures.otherKeyPair
        let jwk = SigningKey(keyPair: attacker, keyID: "attacker").publicJWK
        let withKnownKid =
            #"{"alg":"EdDSA","typ":"at+jwt","kid":"key-1","jwk":\#(jwk),"jku":"https://evil.example/jwks.json","x5u":"https://evil.example/cert"}"#
        let withOwnKid =
            #"{"alg":"EdDSA","typ":"at+jwt","kid":"attacker","jwk":\#(jwk),"jku":"https://evil.example/jwks.json"}"#
        #expect(refusal(verifier, Fixtures.token(header: withKnownKid, key: attacker)) == .badSignature)
        #expect(refusal(verifier, Fixtures.token(header: withOwnKid, key: attacker)) == .unknownKey)
    }

    @Test("critical header extensions are refused")
    func critical() {
        let header = #"{"alg":"EdDSA","typ":"at+jwt","kid":"key-1","crit":["exp"],"exp":1}"#
        #expect(refusal(verifier, Fixtures.token(header: header)) == .malformed)
    }

    @Test(
        "a wrong or missing typ is refused",
        arguments: [#""JWT""#, #""refresh+jwt""#, #""id+jwt""#, #""at+jwt ""#, #""application/jwt""#, "1"])
    func wrongType(typ: String) {
        let header = #"{"alg":"EdDSA","typ":\#(typ),"kid":"key-1"}"#
        #expect(refusal(verifier, Fixtures.token(header: header)) == .wrongType)
    }

    @Test("a header without typ is refused")
    func missingType() {
        #expect(refusal(verifier, Fixtures.token(header: #"{"alg":"EdDSA","kid":"key-1"}"#)) == .wrongType)
    }

    @Test(
        "typ compares case-insensitively and may carry the application/ prefix",
        arguments: ["AT+JWT", "application/at+jwt", "Application/At+Jwt"])
    func typeSpellings(typ: String) throws {
        let header = #"{"alg":"EdDSA","typ":"\#(typ)","kid":"key-1"}"#
        #expect(try verifier.verify(Fixtures.token(header: header)).subject == "user-1")
    }

    @Test("the expected typ is configurable, and then at+jwt is refused")
    func configurableType() throws {
        let refreshVerifier = Fixtures.verifier(expectedType: "refresh+jwt")
        let refreshHeader = #"{"alg":"EdDSA","typ":"refresh+jwt","kid":"key-1"}"#
        #expect(try refreshVerifier.verify(Fixtures.token(header: refreshHeader)).subject == "user-1")
        #expect(refusal(refreshVerifier, Fixtures.token()) == .wrongType)
    }

    @Test(
        "a header that is not a JSON object is refused",
        arguments: ["[]", #""EdDSA""#, "123", "null", "true", "not json", #"{"alg":"EdDSA","alg":"none"}"#, ""])
    func headerNotObject(header: String) {
        #expect(refusal(verifier, Fixtures.token(header: header)) == .malformed)
    }

    @Test("a header of {} has no algorithm")
    func emptyHeader() {
        #expect(refusal(verifier, Fixtures.token(header: "{}")) == .unsupportedAlgorithm)
    }
}
