import JSON
import Sodium

/// Why a JWKS document could not be turned into a key set.
package struct JWKSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A constant explanation that never echoes the document.
    package let message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}

extension TokenKeySet {
    /// Largest JWKS document accepted, in bytes.
    package static let maximumJWKSBytes = 64 * 1024

    /// Parses a JWKS document (RFC 7517 §5), keeping only usable Ed25519 signing keys.
    ///
    /// A key is kept when `kty` is `OKP`, `crv` is `Ed25519`, `x` is a valid 32-byte public key and `kid` is
    /// present and within bounds; `use` (if present) must be `sig` and `alg` (if present) `EdDSA`. Other keys
    /// (RSA, EC, X25519, encryption keys) are ignored. A kid used by two usable keys makes the document invalid.
    package init(jwks document: some Collection<UInt8>) throws(JWKSError) {
        guard document.count <= Self.maximumJWKSBytes else { throw JWKSError("JWKS document too large") }
        let object: JSONObject
        do {
            object = try JSONParser.parseObject(Array(document), maximumDepth: 8)
        } catch {
            throw JWKSError("JWKS document is not a JSON object: \(error.message)")
        }
        guard case .array(let entries)? = object["keys"] else { throw JWKSError("JWKS document has no keys array") }
        var keys: [String: Ed25519.PublicKey] = [:]
        for entry in entries {
            guard case .object(let jwk) = entry, let (keyID, key) = Self.usableKey(jwk) else { continue }
            guard keys.updateValue(key, forKey: keyID) == nil else { throw JWKSError("JWKS document repeats a kid") }
        }
        self.init(keys)
    }

    /// Parses a JWKS document given as text.
    package init(jwks document: String) throws(JWKSError) {
        try self.init(jwks: Array(document.utf8))
    }

    private static func usableKey(_ jwk: JSONObject) -> (String, Ed25519.PublicKey)? {
        guard case .string("OKP")? = jwk["kty"], case .string("Ed25519")? = jwk["crv"],
            case .string(let x)? = jwk["x"], case .string(let keyID)? = jwk["kid"],
            isAcceptable(keyID: keyID)
        else { return nil }
        if let use = jwk["use"], use != .string("sig") { return nil }
        if let algorithm = jwk["alg"], algorithm != .string("EdDSA") { return nil }
        guard let bytes = Base64URL.decode(x), let key = Ed25519.PublicKey(bytes: bytes) else { return nil }
        return (keyID, key)
    }
}
