#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The encoded keys of the maps being written, to refuse a JSON object that names one map key twice.
///
/// Keys are compared in their wire encoding (so `"1"` and `"01"` cannot both pass as one int key), by hash first.
/// A level with more than 32 keys indexes its hashes, so a large map costs linear time, not quadratic.
struct MapKeys {
    private struct Key {
        var hash: UInt32
        var start: Int
        var count: Int
        /// The previous key of this level with the same hash, or -1 (only once the level is indexed).
        var previous: Int
    }

    private struct Level {
        var base: Int
        var index: [UInt32: Int]?
    }

    private var keys: [Key] = []
    private var levels: [Level] = []

    /// Starts a map; returns the token for `close`.
    mutating func open() -> Int {
        levels.append(Level(base: keys.count, index: nil))
        return levels.count - 1
    }

    mutating func close(_ level: Int) {
        keys.removeSubrange(levels[level].base...)
        levels.removeSubrange(level...)
    }

    /// Records the key encoded at `output[start..<start + count]`; false when the current map already has it.
    mutating func insert(_ output: [UInt8], start: Int, count: Int) -> Bool {
        let level = levels.count - 1
        let base = levels[level].base
        return output.withUnsafeBytes { bytes -> Bool in
            let key = UnsafeRawBufferPointer(rebasing: bytes[start..<start + count])
            let hash = NameTable.hash(key)
            func same(_ other: Key) -> Bool {
                other.hash == hash && other.count == count
                    && (count == 0 || memcmp(bytes.baseAddress! + other.start, key.baseAddress!, count) == 0)
            }
            if levels[level].index != nil {
                let head = levels[level].index![hash] ?? -1
                var candidate = head
                while candidate >= 0 {
                    if same(keys[candidate]) { return false }
                    candidate = keys[candidate].previous
                }
                keys.append(Key(hash: hash, start: start, count: count, previous: head))
                levels[level].index![hash] = keys.count - 1
                return true
            }
            for other in keys[base...] where same(other) { return false }
            keys.append(Key(hash: hash, start: start, count: count, previous: -1))
            if keys.count - base > 32 { buildIndex(level) }
            return true
        }
    }

    private mutating func buildIndex(_ level: Int) {
        var index: [UInt32: Int] = [:]
        for position in levels[level].base..<keys.count {
            keys[position].previous = index[keys[position].hash] ?? -1
            index[keys[position].hash] = position
        }
        levels[level].index = index
    }
}
