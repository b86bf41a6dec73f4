import Sodium
import Testing

@testable import Tokens

@Suite("Key sets and JWKS")
struct KeySetTests {
    @Test("the JWKS document lists every key with kty, crv, x, kid, alg and use")
    func jwksOutput() throws {
        let second = SigningKey(keyPair: Ed25519.KeyPair(), keyID: "key-2")
        let set = SigningKeySet(current: Fixtures.signingKey, previous: [second])
        let document = try JSONParser.parseObject(Array(set.jwksDocument.utf8))
        guard case .array(let keys)? = document["keys"], case .object(let first)? = keys.first else {
            Issue.record("no keys array")
            return
        }
        #expect(keys.count == 2)
        #expect(first.members.map(\.name) == ["kty", "crv", "x", "kid", "alg", "use"])
        #expect(first["kty"] == .string("OKP"))
        #expect(first["crv"] == .string("Ed25519"))
        #expect(first["x"] == .string(Fixtures.rfcPublicKey))
        #expect(first["kid"] == .string("key-1"))
        #expect(first["alg"] == .string("EdDSA"))
        #expect(first["use"] == .string("sig"))
    }

    @Test("our JWKS parses back into the same keys")
    func jwksRoundTrip() throws {
        let second = SigningKey(keyPair: Ed25519.KeyPair(), keyID: "key-2")
        let set = SigningKeySet(current: Fixtures.signingKey, previous: [second])
        let parsed = try TokenKeySet(jwks: set.jwksDocument)
        #expect(parsed.keyIDs == ["key-1", "key-2"])
        #expect(parsed.key(for: "key-1") == Fixtures.keyPair.publicKey)
        #expect(parsed.key(for: "key-2") == second.keyPair.publicKey)
    }

    @Test("keys that are not usable Ed25519 signing keys are ignored")
    func ignoresOtherKeys() throws {
        let x = Fixtures.rfcPublicKey
        let document = """
            {"keys":[
              {"kty":"RSA","kid":"rsa","n":"sXch","e":"AQAB","alg":"RS256"},
              {"kty":"EC","kid":"ec","crv":"P-256","x":"f83O","y":"x_FE"},
              {"kty":"OKP","kid":"x25519","crv":"X25519","x":"\(x)"},
              {"kty":"OKP","kid":"enc","crv":"Ed25519","x":"\(x)","use":"enc"},
              {"kty":"OKP","kid":"hs","crv":"Ed25519","x":"\(x)","alg":"HS256"},
              {"kty":"OKP","crv":"Ed25519","x":"\(x)"},
              {"kty":"OKP","kid":"short","crv":"Ed25519","x":"AAAA"},
              {"kty":"OKP","kid":"identity","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
              {"kty":"OKP","kid":"\(String(repeating: "k", count: 129))","crv":"Ed25519","x":"\(x)"},
              {"kty":"OKP","kid":42,"crv":"Ed25519","x":"\(x)"},
              "not an object",
              {"kty":"OKP","kid":"good","crv":"Ed25519","x":"\(x)","key_ops":["verify"]}
            ],"extra":{"ignored":true}}
            """
        let set = try TokenKeySet(jwks: document)
        #expect(set.keyIDs == ["good"])
    }

    @Test(
        "invalid JWKS documents are refused",
        arguments: [
            "", "[]", "{}", #"{"keys":{}}"#, #"{"keys":[]"#,
            #"{"keys":[{"kty":"OKP","kid":"a","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},{"kty":"OKP","kid":"a","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#,
        ])
    func refused(document: String) {
        #expect(throws: JWKSError.self) { try TokenKeySet(jwks: document) }
    }

    @Test("an empty keys array is an empty key set")
    func empty() throws {
        #expect(try TokenKeySet(jwks: #"{"keys":[]}"#).count == 0)
    }

    @Test("documents over 64 KiB are refused before parsing")
    func tooLarge() {
        let padding = String(repeating: " ", count: 64 * 1024)
        #expect(throws: JWKSError.self) { try TokenKeySet(jwks: #"{"keys":[]}"# + padding) }
    }

    @Test("kid lookups are bounded and exact")
    func lookups() {
        let long = String(repeating: "k", count: TokenKeySet.maximumKeyIDBytes + 1)
        let set = TokenKeySet([
            "key-1": Fixtures.keyPair.publicKey, long: Fixtures.keyPair.publicKey, "": Fixtures.keyPair.publicKey,
        ])
        #expect(set.keyIDs == ["key-1"])
        #expect(set.key(for: "key-1") != nil)
        #expect(set.key(for: "KEY-1") == nil)
        #expect(set.key(for: long) == nil)
        #expect(set.key(for: "") == nil)
        #expect(TokenKeySet.empty.key(for: "key-1") == nil)
    }
}
