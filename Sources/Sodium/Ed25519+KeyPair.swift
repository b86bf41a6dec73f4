import CSodium

extension Ed25519 {
    /// An Ed25519 signing key pair; the secret half lives in `SecureBytes`.
    package struct KeyPair: Sendable {
        /// The public half, safe to publish (JWKS).
        package let publicKey: PublicKey
        /// libsodium's 64-byte secret key: seed followed by public key.
        private let secretKey: SecureBytes

        /// Generates a fresh random key pair.
        package init() {
            self.init(seed: SecureBytes.random(count: Ed25519.seedByteCount))!
        }

        /// Derives the key pair from a 32-byte seed (RFC 8032 private key); nil for a wrong length.
        package init?(seed: SecureBytes) {
            guard seed.count == Ed25519.seedByteCount else { return nil }
            var publicBytes = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            let secretKey = SecureBytes(count: Ed25519.secretKeyByteCount) { secret in
                seed.withUnsafeBytes { seedBytes in
                    let result = publicBytes.withUnsafeMutableBytes { publicBuffer in
                        crypto_sign_seed_keypair(
                            publicBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            seedBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                    precondition(result == 0, "crypto_sign_seed_keypair failed")
                }
            }
            self.secretKey = secretKey
            self.publicKey = PublicKey(trustedBytes: publicBytes)
        }

        /// Derives the key pair from seed bytes in ordinary memory; the caller wipes its copy.
        package init?(seed: some Collection<UInt8>) {
            guard seed.count == Ed25519.seedByteCount else { return nil }
            self.init(seed: SecureBytes(copying: seed))
        }

        /// The 32-byte seed, for persisting the key (file mode 0600).
        package var seed: SecureBytes {
            SecureBytes(count: Ed25519.seedByteCount) { seed in
                secretKey.withUnsafeBytes { secret in
                    _ = crypto_sign_ed25519_sk_to_seed(
                        seed.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }

        /// The 64-byte detached signature of `message` (`crypto_sign_detached`; deterministic).
        package func signature(for message: some Collection<UInt8>) -> [UInt8] {
            [UInt8](unsafeUninitializedCapacity: Ed25519.signatureByteCount) { signature, initialized in
                message.withContiguousBytes { messageBytes in
                    secretKey.withUnsafeBytes { secret in
                        messageBytes.withUCharPointer { messagePointer in
                            let result = crypto_sign_detached(
                                signature.baseAddress!, nil, messagePointer, UInt64(messageBytes.count),
                                secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
                            precondition(result == 0, "crypto_sign_detached failed")
                        }
                    }
                }
                initialized = Ed25519.signatureByteCount
            }
        }
    }
}
