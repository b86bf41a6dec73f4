import CSodium

/// Cryptographically secure random bytes from libsodium's `randombytes_buf`.
package enum SecureRandom {
    /// `count` random bytes in ordinary memory (ids, refresh tokens, salts).
    package static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        SodiumRuntime.ensureInitialized()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                randombytes_buf(base, count)
            }
            initialized = count
        }
    }

    /// A uniformly distributed value in `0..<upperBound` (`randombytes_uniform`).
    package static func uniform(upperBound: UInt32) -> UInt32 {
        SodiumRuntime.ensureInitialized()
        return randombytes_uniform(upperBound)
    }
}
