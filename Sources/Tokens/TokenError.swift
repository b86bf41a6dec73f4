/// Why a token was refused.
///
/// Every code maps to HTTP 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1); the
/// message is a constant that never echoes token content, so it is safe to send as `error_description`.
package struct TokenError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A small set of refusal reasons.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case malformed, unsupportedAlgorithm, unknownKey, badSignature
            case expired, notYetValid, wrongIssuer, wrongAudience, wrongType
        }
        private let wrapped: Wrapped

        /// Not a well-formed JWS compact token: size, segments, base64url, JSON or claim types.
        package static let malformed = Code(wrapped: .malformed)
        /// The header's `alg` is anything but exactly `EdDSA`.
        package static let unsupportedAlgorithm = Code(wrapped: .unsupportedAlgorithm)
        /// No `kid`, an oversized one, or one not in the key set.
        package static let unknownKey = Code(wrapped: .unknownKey)
        /// The Ed25519 signature does not verify.
        package static let badSignature = Code(wrapped: .badSignature)
        /// `exp` has passed (beyond the leeway).
        package static let expired = Code(wrapped: .expired)
        /// `nbf` or `iat` lies in the future (beyond the leeway).
        package static let notYetValid = Code(wrapped: .notYetValid)
        /// `iss` is missing or not the expected issuer.
        package static let wrongIssuer = Code(wrapped: .wrongIssuer)
        /// `aud` is missing or does not name the expected audience.
        package static let wrongAudience = Code(wrapped: .wrongAudience)
        /// The header's `typ` is not the expected token type.
        package static let wrongType = Code(wrapped: .wrongType)

        package var description: String { String(describing: wrapped) }
    }

    /// The refusal reason.
    package let code: Code
    /// A constant, human-readable explanation without quotes or token content.
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The RFC 6750 error code for the `WWW-Authenticate` challenge; the same for every refusal.
    package var bearerError: String { "invalid_token" }

    /// The `WWW-Authenticate` header value, e.g. `Bearer realm="halo", error="invalid_token", error_description="..."`.
    package func wwwAuthenticate(realm: String? = nil) -> String {
        var value = "Bearer "
        if let realm {
            value += "realm=\"\(realm.filter { $0 != "\"" && $0 != "\\" })\", "
        }
        value += "error=\"\(bearerError)\", error_description=\"\(message)\""
        return value
    }

    package var description: String { "\(code): \(message)" }
}
