import CSodium

extension Ed25519 {
    /// An Ed25519 public key: 32 bytes that encode a valid point of the prime-order subgroup.
    package struct PublicKey: Hashable, Sendable {
        /// The 32 raw key bytes (the JWK `x` value).
        package let bytes: [UInt8]

        /// Validates `bytes` as a public key; nil for a wrong length, a non-canonical or small-order point.
        package init?(bytes: some Collection<UInt8>) {
            guard bytes.count == Ed25519.publicKeyByteCount else { return nil }
            SodiumRuntime.ensureInitialized()
            let copy = Array(bytes)
            let valid = copy.withUnsafeBytes { raw in
                raw.withUCharPointer { crypto_core_ed25519_is_valid_point($0) == 1 }
            }
            guard valid else { return nil }
            self.bytes = copy
        }

        /// Trusted initialiser for bytes libsodium produced itself.
        init(trustedBytes: [UInt8]) {
            self.bytes = trustedBytes
        }

        /// True when `signature` is a valid detached signature of `message` under this key.
        ///
        /// Runs in constant time for a given message length; non-canonical signatures are rejected.
        package func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool
        {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            return signature.withContiguousBytes { signatureBytes in
                message.withContiguousBytes { messageBytes in
                    bytes.withUnsafeBytes { keyBytes in
                        signatureBytes.withUCharPointer { signaturePointer in
                            messageBytes.withUCharPointer { messagePointer in
                                keyBytes.withUCharPointer { keyPointer in
                                    crypto_sign_verify_detached(
                                        signaturePointer, messagePointer, UInt64(messageBytes.count), keyPointer) == 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
