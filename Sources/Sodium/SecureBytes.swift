import CSodium

/// Secret bytes in guarded, locked memory (`sodium_malloc`), read-only after creation, zeroed and freed on deinit.
///
/// The memory sits between guard pages, is `mlock`ed where the system allows it (libsodium ignores a failing
/// `mlock`), excluded from core dumps, and made read-only once initialised. Instances are immutable, so
/// sharing them across threads is safe.
package final class SecureBytes: @unchecked Sendable {
    /// Number of secret bytes.
    package let count: Int
    private let pointer: UnsafeMutableRawPointer

    /// Allocates `count` bytes and lets `initialize` write them before the memory turns read-only.
    init(count: Int, initialize: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(count > 0, "SecureBytes needs at least one byte")
        SodiumRuntime.ensureInitialized()
        guard let pointer = sodium_malloc(count) else {
            fatalError("sodium_malloc failed")
        }
        self.count = count
        self.pointer = pointer
        initialize(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        sodium_mprotect_readonly(pointer)
    }

    /// Copies `bytes` into secure memory; the caller is responsible for wiping its own copy.
    package convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { destination in
            bytes.withContiguousBytes { source in
                destination.copyMemory(from: source)
            }
        }
    }

    /// Fresh random secret bytes from `randombytes_buf`.
    package static func random(count: Int) -> SecureBytes {
        SecureBytes(count: count) { destination in
            randombytes_buf(destination.baseAddress!, destination.count)
        }
    }

    deinit {
        // sodium_free makes the region writable again, zeroes it, unlocks it and releases the guard pages.
        sodium_free(pointer)
    }

    /// Gives `body` read access to the secret bytes; the pointer must not escape.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// A copy of the secret in ordinary memory, for persisting it (a key file); wipe it when done.
    package func exportBytes() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Compares with `other` in time that depends only on the lengths.
    package func constantTimeEquals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in
                sodium_memcmp(mine.baseAddress!, theirs.baseAddress!, count) == 0
            }
        }
    }
}
