import CSodium

/// HMAC-SHA-256 (RFC 2104) with a key of any length (`crypto_auth_hmacsha256_init/update/final`).
package enum HMACSHA256 {
    /// Length of an authentication code.
    package static let byteCount = 32

    /// The 32-byte authentication code of `message` under `key`.
    package static func authenticationCode(
        for message: some Collection<UInt8>, key: some Collection<UInt8>
    ) -> [UInt8] {
        SodiumRuntime.ensureInitialized()
        var state = crypto_auth_hmacsha256_state()
        defer { sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size) }
        key.withContiguousBytes { keyBytes in
            keyBytes.withUCharPointer { _ = crypto_auth_hmacsha256_init(&state, $0, keyBytes.count) }
        }
        message.withContiguousBytes { messageBytes in
            messageBytes.withUCharPointer { _ = crypto_auth_hmacsha256_update(&state, $0, UInt64(messageBytes.count)) }
        }
        return [UInt8](unsafeUninitializedCapacity: byteCount) { code, initialized in
            _ = crypto_auth_hmacsha256_final(&state, code.baseAddress!)
            initialized = byteCount
        }
    }
}
