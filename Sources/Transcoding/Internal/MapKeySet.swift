/// The keys of one map being read or written, to find a key given twice.
///
/// A key is a byte string in a buffer the caller owns (its offset and length), or for integer and bool keys read
/// from the wire the value itself. Up to 32 keys live inline (on the stack, compared by a cheap hash of length and
/// first and last bytes first), so a map of that size allocates nothing; a larger map indexes its further keys by
/// FNV-1a over every byte (which an input cannot make collide cheaply), in linear time. Each key remembers
/// the entry that gave it, so that a reader can let the last of equal keys win.
struct MapKeySet {
    private struct Key {
        var hash: UInt32
        var entry: Int32
        /// Offset of the bytes, or the value bits when `count` is -1.
        var start: Int
        var count: Int32
        /// The previous key with the same hash among the indexed ones, or -1.
        var previous: Int32
    }

    private static let inlineCapacity = 32
    private var inline = InlineArray<32, Key>(repeating: Key(hash: 0, entry: 0, start: 0, count: 0, previous: -1))
    private var inlineCount = 0
    private var indexed: [Key] = []
    private var heads: [UInt32: Int32] = [:]

    init() {}

    /// Records the byte-string key `bytes[start..<start + count]` of entry `entry`; returns the entry of an
    /// equal key seen before (whose record now names `entry`), or nil for a new key.
    mutating func insert(
        _ bytes: UnsafeRawBufferPointer, start: Int, count: Int, entry: Int
    ) -> Int? {
        let key = UnsafeRawBufferPointer(rebasing: bytes[start..<start + count])
        // A local function, not a closure value: passed down without a context on the heap.
        func equals(_ other: Key) -> Bool {
            other.count == Int32(count)
                && (count == 0 || NameTable.equal(bytes.baseAddress! + other.start, key.baseAddress!, count))
        }
        let hadRoom = inlineCount < Self.inlineCapacity
        let quick = Key(hash: NameTable.hash(key), entry: Int32(entry), start: start, count: Int32(count), previous: -1)
        if let earlier = insertInline(quick, equals: equals) { return earlier }
        if hadRoom { return nil }
        return insertIndexed(
            Key(hash: Self.hash(key), entry: Int32(entry), start: start, count: Int32(count), previous: -1),
            equals: equals)
    }

    /// Records the integer (or bool) key `value` of entry `entry`, like the byte-string `insert`.
    mutating func insert(value: UInt64, entry: Int) -> Int? {
        let hash = UInt32(truncatingIfNeeded: (value ^ (value >> 32)) &* 0x9E37_79B9_7F4A_7C15 >> 32)
        let bits = Int(Int64(bitPattern: value))
        let key = Key(hash: hash, entry: Int32(entry), start: bits, count: -1, previous: -1)
        func equals(_ other: Key) -> Bool { other.count == -1 && other.start == bits }
        let hadRoom = inlineCount < Self.inlineCapacity
        if let earlier = insertInline(key, equals: equals) { return earlier }
        if hadRoom { return nil }
        return insertIndexed(key, equals: equals)
    }

    /// Looks `key` up among the inline keys (by their inline hash); returns the earlier entry of an equal key
    /// (whose record now names `key`'s entry), else stores `key` inline if there is room. The caller, which knows
    /// whether there was room, goes on to the indexed keys when there was not.
    @inline(__always)
    private mutating func insertInline(_ key: Key, equals: (Key) -> Bool) -> Int? {
        for slot in 0..<inlineCount where inline[slot].hash == key.hash && equals(inline[slot]) {
            defer { inline[slot].entry = key.entry }
            return Int(inline[slot].entry)
        }
        if inlineCount < Self.inlineCapacity {
            inline[inlineCount] = key
            inlineCount += 1
        }
        return nil
    }

    /// Looks `key` up among the indexed keys (by FNV-1a hash) and records it; returns the earlier entry of an equal
    /// key.
    private mutating func insertIndexed(_ key: Key, equals: (Key) -> Bool) -> Int? {
        var candidate = heads[key.hash] ?? -1
        while candidate >= 0 {
            if equals(indexed[Int(candidate)]) {
                defer { indexed[Int(candidate)].entry = key.entry }
                return Int(indexed[Int(candidate)].entry)
            }
            candidate = indexed[Int(candidate)].previous
        }
        var record = key
        record.previous = heads[key.hash] ?? -1
        indexed.append(record)
        heads[key.hash] = Int32(indexed.count - 1)
        return nil
    }

    /// FNV-1a over the bytes.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }
}
