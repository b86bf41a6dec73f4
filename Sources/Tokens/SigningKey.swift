package import Sodium

/// An Ed25519 key pair with the key id published in token headers and the JWKS.
package struct SigningKey: Sendable {
    /// The `kid`.
    package let keyID: String
    /// The key pair.
    package let keyPair: Ed25519.KeyPair

    /// A signing key whose id defaults to the RFC 7638 JWK thumbprint of its public key.
    package init(keyPair: Ed25519.KeyPair, keyID: String? = nil) {
        self.keyPair = keyPair
        self.keyID = keyID ?? Self.thumbprint(of: keyPair.publicKey)
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of `{"crv":"Ed25519","kty":"OKP","x":"..."}` (RFC 8037 §2).
    package static func thumbprint(of publicKey: Ed25519.PublicKey) -> String {
        let canonical = #"{"crv":"Ed25519","kty":"OKP","x":""# + Base64URL.encode(publicKey.bytes) + #""}"#
        return Base64URL.encode(SHA256.hash(Array(canonical.utf8)))
    }

    /// The public JWK: `kty`, `crv`, `x`, `kid`, `alg`, `use`.
    package var publicJWK: String {
        var writer = JSONWriter()
        writer.add("kty", "OKP")
        writer.add("crv", "Ed25519")
        writer.add("x", Base64URL.encode(keyPair.publicKey.bytes))
        writer.add("kid", keyID)
        writer.add("alg", "EdDSA")
        writer.add("use", "sig")
        return writer.finish()
    }
}
