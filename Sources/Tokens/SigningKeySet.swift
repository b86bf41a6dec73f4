import Sodium

/// The signer's keys: the current key signs, previous keys stay published until their tokens expire.
package struct SigningKeySet: Sendable {
    /// The key new tokens are signed with.
    package let current: SigningKey
    /// Retired keys, newest first, still published for verification.
    package let previous: [SigningKey]

    /// A key set; previous keys that repeat the current key id or an earlier one are dropped.
    package init(current: SigningKey, previous: [SigningKey] = []) {
        self.current = current
        var seen: Set<String> = [current.keyID]
        self.previous = previous.filter { seen.insert($0.keyID).inserted }
    }

    /// Makes `newKey` current, keeping the old current and at most `keepingPrevious` retired keys in all.
    package func rotated(to newKey: SigningKey, keepingPrevious: Int = 1) -> SigningKeySet {
        SigningKeySet(current: newKey, previous: Array(([current] + previous).prefix(max(0, keepingPrevious))))
    }

    /// Every key, current first.
    package var all: [SigningKey] {
        [current] + previous
    }

    /// The public keys, for a verifier in the same process.
    package var verificationKeys: TokenKeySet {
        TokenKeySet(Dictionary(uniqueKeysWithValues: all.map { ($0.keyID, $0.keyPair.publicKey) }))
    }

    /// The JWKS document (RFC 7517 §5) with every public key, current first.
    package var jwksDocument: String {
        var writer = JSONWriter()
        writer.add("keys", json: "[" + all.map(\.publicJWK).joined(separator: ",") + "]")
        return writer.finish()
    }
}
