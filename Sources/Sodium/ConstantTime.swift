import CSodium

/// Comparisons whose running time does not depend on where the inputs differ.
package enum ConstantTime {
    /// True when both collections hold the same bytes; only the lengths may leak through timing.
    package static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        SodiumRuntime.ensureInitialized()
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return lhs.withContiguousBytes { left in
            rhs.withContiguousBytes { right in
                sodium_memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
    }
}
