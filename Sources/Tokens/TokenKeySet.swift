package import Sodium

/// An immutable set of Ed25519 verification keys by key id; the gateway swaps in a new value on JWKS refresh.
package struct TokenKeySet: Sendable {
    /// Longest key id accepted, in UTF-8 bytes; a `kid` is untrusted input and only ever a dictionary key.
    package static let maximumKeyIDBytes = 128

    private let keys: [String: Ed25519.PublicKey]

    /// A key set from `keys`; entries whose key id is empty or longer than `maximumKeyIDBytes` are dropped.
    package init(_ keys: [String: Ed25519.PublicKey]) {
        self.keys = keys.filter { Self.isAcceptable(keyID: $0.key) }
    }

    /// The empty key set, which refuses every token.
    package static let empty = TokenKeySet([:])

    /// The key for `keyID`, or nil when it is unknown or out of bounds.
    package func key(for keyID: String) -> Ed25519.PublicKey? {
        guard Self.isAcceptable(keyID: keyID) else { return nil }
        return keys[keyID]
    }

    /// The key ids in the set, sorted.
    package var keyIDs: [String] {
        keys.keys.sorted()
    }

    /// Number of keys.
    package var count: Int {
        keys.count
    }

    static func isAcceptable(keyID: String) -> Bool {
        let length = keyID.utf8.count
        return length > 0 && length <= maximumKeyIDBytes
    }
}
