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
/// Laid out for the lookup on every received header: candidates are the strings of the probe's
/// length; each is compared first by its first and last 8 bytes as two words (which decide a
/// string of up to 16 bytes alone), and only a longer one that passes both by `memcmp` of the
/// rest. Nothing is retained or copied per candidate.
package struct StringTable: Sendable {
    /// One string: where its bytes are in `bytes`, its index in `strings`, and its first and last
    /// 8 bytes as words (zero-padded when shorter).
    private struct Entry {
        var offset: Int
        var index: Int
        var head: UInt64
        var tail: UInt64
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
            let utf8 = Array(strings[index].utf8)
            let (head, tail) = utf8.withUnsafeBufferPointer { Self.words($0) }
            entries.append(Entry(offset: bytes.count, index: index, head: head, tail: tail))
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
        let (head, tail) = Self.words(bytes)
        return self.entries.withUnsafeBufferPointer { entries in
            for position in candidates {
                let entry = entries[position]
                guard entry.head == head, entry.tail == tail else { continue }
                // Up to 16 bytes the two words covered every byte.
                if length <= 16 { return entry.index }
                let equal = self.bytes.withUnsafeBufferPointer { stored in
                    memcmp(stored.baseAddress! + entry.offset + 8, probe + 8, length - 16) == 0
                }
                if equal { return entry.index }
            }
            return nil
        }
    }

    /// The table's String equal to `bytes`, or a new one.
    package func string(for bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let index = self.index(of: bytes) { return self.strings[index] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first and the last 8 bytes as words; bytes of a string shorter than 8 go into `head`
    /// (zero-padded) and `tail` is 0.
    @inline(__always)
    private static func words(_ bytes: UnsafeBufferPointer<UInt8>) -> (head: UInt64, tail: UInt64) {
        guard let base = bytes.baseAddress else { return (0, 0) }
        let raw = UnsafeRawPointer(base)
        if bytes.count >= 8 {
            let tail = raw.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)
            return (raw.loadUnaligned(as: UInt64.self), tail)
        }
        var head: UInt64 = 0
        for index in 0..<bytes.count { head |= UInt64(bytes[index]) << (8 * UInt64(index)) }
        return (head, 0)
    }
}
