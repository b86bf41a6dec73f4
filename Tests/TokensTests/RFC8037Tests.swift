import Sodium
import Testing
import Tokens

/// RFC 8037 Appendix A: Ed25519 in JOSE.
@Suite("RFC 8037 Appendix A")
struct RFC8037Tests {
    static let header = "eyJhbGciOiJFZERTQSJ9"  // {"alg":"EdDSA"}
    static let payload = "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"  // Example of Ed25519 signing
    static let signature = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

    @Test("A.1/A.2: the private key d derives the public key x")
    func keys() {
        #expect(Base64URL.encode(Fixtures.keyPair.publicKey.bytes) == Fixtures.rfcPublicKey)
        #expect(Base64URL.encode(Fixtures.keyPair.seed.exportBytes()) == Fixtures.rfcSeed)
    }

    @Test("A.3: the JWK thumbprint is the default kid")
    func thumbprint() {
        #expect(SigningKey.thumbprint(of: Fixtures.keyPair.publicKey) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        #expect(SigningKey(keyPair: Fixtures.keyPair).keyID == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    @Test("A.4: signing the example gives the published JWS")
    func signing() {
        #expect(Fixtures.b64(#"{"alg":"EdDSA"}"#) == Self.header)
        #expect(Fixtures.b64("Example of Ed25519 signing") == Self.payload)
        let token = TokenSigner.compact(
            header: #"{"alg":"EdDSA"}"#, payload: "Example of Ed25519 signing", keyPair: Fixtures.keyPair)
        #expect(token == "\(Self.header).\(Self.payload).\(Self.signature)")
    }

    @Test("A.5: the published JWS verifies with x, and fails when any part changes")
    func verification() throws {
        let x = try #require(Base64URL.decode(Fixtures.rfcPublicKey))
        let key = try #require(Ed25519.PublicKey(bytes: x))
        let signature = try #require(Base64URL.decode(Self.signature))
        #expect(key.isValidSignature(signature, for: "\(Self.header).\(Self.payload)".utf8))
        #expect(
            !key.isValidSignature(signature, for: "\(Self.header).\(Fixtures.b64("Example of Ed25519 signinG"))".utf8))
        #expect(!key.isValidSignature(signature, for: "\(Fixtures.b64(#"{"alg":"none"}"#)).\(Self.payload)".utf8))
    }

    @Test("A.5 through the verifier: the signature checks out, then the missing typ refuses it")
    func verifierOnTheExample() {
        // The example has no typ and a non-JSON payload, so an access-token verifier must refuse it.
        let token = "\(Self.header).\(Self.payload).\(Self.signature)"
        #expect(refusal(Fixtures.verifier(), token) == .wrongType)
    }
}
