import CSodium

extension Argon2id {
    /// Argon2id cost parameters; parallelism is always 1 in libsodium.
    package struct Configuration: Hashable, Sendable {
        /// Passes over memory (Argon2 `t`); at least 2.
        package var opsLimit: Int
        /// Memory cost in bytes (libsodium's unit; the PHC string shows KiB as `m`); at least 19 MiB.
        package var memoryLimitBytes: Int

        package init(opsLimit: Int, memoryLimitBytes: Int) {
            self.opsLimit = opsLimit
            self.memoryLimitBytes = memoryLimitBytes
        }

        /// OWASP's minimum for Argon2id: m=19 MiB (19456 KiB), t=2, p=1.
        package static var defaults: Configuration {
            Configuration(opsLimit: 2, memoryLimitBytes: 19 * 1024 * 1024)
        }

        /// Throws unless the parameters are at least `defaults` and within libsodium's limits.
        func validate() throws(PasswordError) {
            let minimum = Configuration.defaults
            guard opsLimit >= minimum.opsLimit, memoryLimitBytes >= minimum.memoryLimitBytes else {
                throw PasswordError(.invalidConfiguration, "Argon2id parameters below m=19 MiB, t=2")
            }
            guard UInt(opsLimit) <= crypto_pwhash_argon2id_opslimit_max(),
                UInt(memoryLimitBytes) <= crypto_pwhash_argon2id_memlimit_max()
            else {
                throw PasswordError(.invalidConfiguration, "Argon2id parameters beyond libsodium's limits")
            }
        }
    }
}
