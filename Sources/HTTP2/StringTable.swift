#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small set of Strings looked up by their UTF-8 bytes, so a received value equal to one of
/// them reuses it instead of allocating and validating a new String.
///
/// Laid out for the lookup on every received header: the strings' bytes in one array, grouped
/// by length, compared with `memcmp`; nothing is retained or copied per candidate.
package struct StringTable: Sendable {
    /// Where one string's bytes are in `bytes`, and its index in `strings`.
    private struct Entry {
        var offset: Int
        var index: Int
    }

    /// The strings, in the order given.
    package let strings: [String]
    /// Every string's UTF-8 bytes, grouped by length.
    private let bytes: [UInt8]
    private let entries: [Entry]
    /// Entries of length `n` are `entries[firstEntry[n]..<firstEntry[n + 1]]`.
    private let firstEntry: [Int]

    package init(_ strings: some Sequence<String>) {
        let strings = Array(strings)
        let byLength = strings.indices.sorted { strings[$0].utf8.count < strings[$1].utf8.count }
        let longest = strings.map(\.utf8.count).max() ?? -1
        var bytes: [UInt8] = []
        var entries: [Entry] = []
        var firstEntry = [Int](repeating: 0, count: longest + 2)
        for index in byLength {
            let utf8 = strings[index].utf8
            entries.append(Entry(offset: bytes.count, index: index))
            bytes.append(contentsOf: utf8)
            firstEntry[utf8.count + 1] = entries.count
        }
        // Lengths with no string start where the previous length ended.
        for length in firstEntry.indices.dropFirst() {
            firstEntry[length] = max(firstEntry[length], firstEntry[length - 1])
        }
        self.strings = strings
        self.bytes = bytes
        self.entries = entries
        self.firstEntry = firstEntry
    }

    /// The index in `strings` of the string equal to `bytes`, if there is one.
    package func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let length = bytes.count
        guard length + 1 < self.firstEntry.count, let probe = bytes.baseAddress else { return nil }
        let candidates = self.firstEntry[length]..<self.firstEntry[length + 1]
        guard !candidates.isEmpty else { return nil }
        return self.bytes.withUnsafeBufferPointer { stored in
            for position in candidates {
                let entry = self.entries[position]
                if memcmp(stored.baseAddress! + entry.offset, probe, length) == 0 { return entry.index }
            }
            return nil
        }
    }

    /// The table's String equal to `bytes`, or a new one.
    package func string(for bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let index = self.index(of: bytes) { return self.strings[index] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
