import CSodium

/// Runs `sodium_init` exactly once per process before any other libsodium call.
enum SodiumRuntime {
    /// Result of the one `sodium_init` call; a Swift global `static let` is initialised once, thread-safely.
    private static let status: Int32 = sodium_init()

    /// Initialises libsodium on first use; traps if the library cannot start (no entropy source).
    static func ensureInitialized() {
        precondition(status >= 0, "sodium_init failed")
    }
}
