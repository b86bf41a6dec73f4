import CSodium

/// SHA-256 (`crypto_hash_sha256`), for JWK thumbprints and hashing high-entropy tokens before storage.
package enum SHA256 {
    /// Length of a digest.
    package static let byteCount = 32

    /// The 32-byte digest of `message`.
    package static func hash(_ message: some Collection<UInt8>) -> [UInt8] {
        SodiumRuntime.ensureInitialized()
        return [UInt8](unsafeUninitializedCapacity: byteCount) { digest, initialized in
            message.withContiguousBytes { bytes in
                bytes.withUCharPointer { pointer in
                    _ = crypto_hash_sha256(digest.baseAddress!, pointer, UInt64(bytes.count))
                }
            }
            initialized = byteCount
        }
    }
}
