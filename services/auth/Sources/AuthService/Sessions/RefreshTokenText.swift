import Sodium
import Tokens

/// The refresh token as the client holds it: 256 random bits, base64url (43 characters). Only its SHA-256
/// is ever stored.
enum RefreshTokenText {
    static let byteCount = 32
    static let textLength = 43

    /// A fresh token and the hash to store.
    static func make() -> (token: String, hash: String) {
        let token = Base64URL.encode(SecureRandom.bytes(count: byteCount))
        return (token, hash(token))
    }

    /// The stored hash of a presented token; nil when the text cannot be one of ours (no lookup needed).
    static func storedHash(ofPresented token: String) -> String? {
        guard token.utf8.count == textLength, let bytes = Base64URL.decode(token), bytes.count == byteCount else {
            return nil
        }
        return hash(token)
    }

    private static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(Array(token.utf8)))
    }
}
