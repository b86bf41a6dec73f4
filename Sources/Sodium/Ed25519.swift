import CSodium

/// Ed25519 signatures (RFC 8032) through libsodium's `crypto_sign_*`.
package enum Ed25519 {
    /// Length of a seed, the secret a key pair is derived from.
    package static let seedByteCount = 32
    /// Length of a public key.
    package static let publicKeyByteCount = 32
    /// Length of a detached signature.
    package static let signatureByteCount = 64
    /// Length of libsodium's expanded secret key (seed followed by the public key).
    static let secretKeyByteCount = 64
}
