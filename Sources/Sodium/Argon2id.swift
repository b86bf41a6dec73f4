import CSodium

/// Argon2id password hashing to PHC strings (`$argon2id$v=19$m=…,t=…,p=1$…`) through libsodium.
///
/// `hash` and `verify` are deliberately slow and memory-hungry (19 MiB and ~50-100 ms each at the defaults)
/// and block the calling thread. They are synchronous on purpose: run them on a bounded pool of threads, never
/// on an event loop or the cooperative pool, so that a burst of logins queues instead of exhausting memory.
/// Passwords are length-checked before any hashing work; the bytes hashed are the exact UTF-8 of the string, so
/// callers that want NFC and NFD spellings to match must normalise first.
package struct Argon2id: Sendable {
    /// Accepted password length in Unicode scalars (code points, as NIST SP 800-63B counts characters).
    package static let passwordLength: ClosedRange<Int> = 8...128
    /// UTF-8 can spend at most 4 bytes on a scalar; longer inputs are rejected without counting.
    private static let maximumPasswordBytes = 128 * 4

    /// The cost parameters new hashes are made with.
    package let configuration: Configuration

    /// A hasher with `configuration`, which must be at least OWASP's minimum (m=19 MiB, t=2, p=1).
    package init(configuration: Configuration = .defaults) throws(PasswordError) {
        try configuration.validate()
        SodiumRuntime.ensureInitialized()
        self.configuration = configuration
    }

    /// Checks the password length policy without hashing; the same check `hash` and `verify` run first.
    package static func validate(_ password: String) throws(PasswordError) {
        let byteCount = password.utf8.count
        if byteCount > maximumPasswordBytes {
            throw PasswordError(.tooLong, "password must be at most 128 characters")
        }
        let scalarCount = byteCount < passwordLength.lowerBound ? byteCount : password.unicodeScalars.count
        if scalarCount < passwordLength.lowerBound {
            throw PasswordError(.tooShort, "password must be at least 8 characters")
        }
        if scalarCount > passwordLength.upperBound {
            throw PasswordError(.tooLong, "password must be at most 128 characters")
        }
    }

    /// Hashes `password` with a fresh random salt into a PHC string. Blocking and CPU-heavy.
    package func hash(_ password: String) throws(PasswordError) -> String {
        try Self.validate(password)
        let capacity = crypto_pwhash_argon2id_strbytes()
        var output = [CChar](repeating: 0, count: capacity)
        var password = password
        let result = password.withUTF8 { passwordBytes in
            output.withUnsafeMutableBufferPointer { out in
                UnsafeRawBufferPointer(passwordBytes).withUCharPointer { pointer in
                    pointer.withMemoryRebound(to: CChar.self, capacity: passwordBytes.count) { passwordPointer in
                        crypto_pwhash_argon2id_str(
                            out.baseAddress!, passwordPointer, UInt64(passwordBytes.count),
                            UInt64(configuration.opsLimit), configuration.memoryLimitBytes)
                    }
                }
            }
        }
        guard result == 0 else {
            throw PasswordError(.hashingFailed, "password hashing failed")
        }
        return output.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// True when `password` matches the PHC string `hash` (constant-time). Blocking and CPU-heavy.
    ///
    /// Throws for passwords outside the length policy (they never reach the hasher); a malformed or non-Argon2id
    /// `hash` simply does not match.
    package func verify(_ password: String, against hash: String) throws(PasswordError) -> Bool {
        try Self.validate(password)
        guard hash.utf8.count < crypto_pwhash_argon2id_strbytes() else { return false }
        var password = password
        return password.withUTF8 { passwordBytes in
            hash.withCString { hashPointer in
                UnsafeRawBufferPointer(passwordBytes).withUCharPointer { pointer in
                    pointer.withMemoryRebound(to: CChar.self, capacity: passwordBytes.count) { passwordPointer in
                        crypto_pwhash_argon2id_str_verify(hashPointer, passwordPointer, UInt64(passwordBytes.count))
                            == 0
                    }
                }
            }
        }
    }

    /// True when `hash` was made with other parameters than this hasher's (or is not an Argon2id PHC string).
    package func needsRehash(_ hash: String) -> Bool {
        guard hash.utf8.count < crypto_pwhash_argon2id_strbytes() else { return true }
        return hash.withCString { hashPointer in
            crypto_pwhash_argon2id_str_needs_rehash(
                hashPointer, UInt64(configuration.opsLimit), configuration.memoryLimitBytes) != 0
        }
    }
}
