/// A small set of Strings looked up by their UTF-8 bytes, so a received value equal to one of
/// them reuses it instead of allocating and validating a new String.
package struct StringTable: Sendable {
    private let buckets: [[(bytes: [UInt8], string: String)]]

    package init(_ strings: some Sequence<String>) {
        var buckets: [[(bytes: [UInt8], string: String)]] = []
        for string in strings {
            let bytes = Array(string.utf8)
            if buckets.count <= bytes.count { buckets += Array(repeating: [], count: bytes.count + 1 - buckets.count) }
            buckets[bytes.count].append((bytes, string))
        }
        self.buckets = buckets
    }

    /// The table's String equal to `bytes`, or a new one.
    func string(for bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count < self.buckets.count {
            for candidate in self.buckets[bytes.count] where candidate.bytes.elementsEqual(bytes) {
                return candidate.string
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
