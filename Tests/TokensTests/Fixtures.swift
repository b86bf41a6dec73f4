import Sodium
import Tokens

/// Shared keys, times and a token factory for the tests.
enum Fixtures {
    static let issuer = "https://auth.halo.test"
    static let audience = "halo-gateway"
    static let now: Int64 = 1_700_000_000
    static let lifetime: Int64 = 900

    /// RFC 8037 Appendix A.1 seed (`d`) and public key (`x`), base64url.
    static let rfcSeed = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
    static let rfcPublicKey = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

    static let keyPair = Ed25519.KeyPair(seed: Base64URL.decode(rfcSeed)!)!
    static let signingKey = SigningKey(keyPair: keyPair, keyID: "key-1")
    static let otherKeyPair = Ed25519.KeyPair()

    static var keySet: TokenKeySet {
        TokenKeySet(["key-1": keyPair.publicKey])
    }

    static func verifier(
        at time: Int64 = now, leeway: Duration = .seconds(30), expectedType: String = "at+jwt"
    ) -> TokenVerifier {
        TokenVerifier(
            keys: keySet,
            configuration: .init(issuer: issuer, audience: audience, expectedType: expectedType, leeway: leeway),
            clock: .fixed(time))
    }

    static func signer(at time: Int64 = now) -> TokenSigner {
        TokenSigner(
            keys: SigningKeySet(current: signingKey),
            configuration: .init(issuer: issuer, audience: audience, lifetime: .seconds(lifetime)),
            clock: .fixed(time))
    }

    static let validHeader = #"{"alg":"EdDSA","typ":"at+jwt","kid":"key-1"}"#

    /// A payload with the standard claims; `extra` is spliced in verbatim (a leading comma is added).
    static func payload(
        exp: Int64? = now + lifetime, iss: String? = issuer, aud: String? = #""halo-gateway""#, sub: String = "user-1",
        extra: String = ""
    ) -> String {
        var members: [String] = []
        if let iss { members.append(#""iss":"\#(iss)""#) }
        members.append(#""sub":"\#(sub)""#)
        if let aud { members.append(#""aud":\#(aud)"#) }
        if let exp { members.append(#""exp":\#(exp)"#) }
        members.append(#""iat":\#(now)"#)
        members.append(#""jti":"jti-1""#)
        if !extra.isEmpty { members.append(extra) }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A JWS compact token over arbitrary header and payload JSON, signed with `key`.
    static func token(
        header: String = validHeader, payload: String = payload(), key: Ed25519.KeyPair = keyPair
    ) -> String {
        TokenSigner.compact(header: header, payload: payload, keyPair: key)
    }

    /// The base64url of a UTF-8 string.
    static func b64(_ text: String) -> String {
        Base64URL.encode(Array(text.utf8))
    }
}

/// The `TokenError.Code` thrown by `verify`, or nil when the token was accepted.
func refusal(_ verifier: TokenVerifier, _ token: String) -> TokenError.Code? {
    do {
        _ = try verifier.verify(token)
        return nil
    } catch {
        return error.code
    }
}
