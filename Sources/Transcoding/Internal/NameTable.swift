/// A read-only open-addressing hash table from byte strings to small integers, probed without allocating.
struct NameTable: Sendable {
    private struct Slot: Sendable {
        var hash: UInt32
        var value: Int32
        var start: Int32
        var count: Int32
    }

    private let slots: [Slot]
    private let names: [UInt8]
    private let mask: Int

    /// A table of `entries`; on duplicate names the first entry wins.
    init(_ entries: [([UInt8], Int)]) {
        var capacity = 8
        while capacity < entries.count * 2 { capacity *= 2 }
        var slots = [Slot](repeating: Slot(hash: 0, value: -1, start: 0, count: 0), count: capacity)
        var names: [UInt8] = []
        let mask = capacity - 1
        for (name, value) in entries {
            let hash = name.withUnsafeBytes { Self.hash($0) }
            var index = Int(hash) & mask
            var duplicate = false
            while slots[index].value >= 0 {
                let slot = slots[index]
                if slot.hash == hash, names[Int(slot.start)..<Int(slot.start + slot.count)].elementsEqual(name) {
                    duplicate = true
                    break
                }
                index = (index + 1) & mask
            }
            if duplicate { continue }
            slots[index] = Slot(hash: hash, value: Int32(value), start: Int32(names.count), count: Int32(name.count))
            names.append(contentsOf: name)
        }
        self.slots = slots
        self.names = names
        self.mask = mask
    }

    /// The value stored for `name`, if any.
    func lookup(_ name: UnsafeRawBufferPointer) -> Int? {
        let hash = Self.hash(name)
        var index = Int(hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            names.withUnsafeBytes { names in
                while true {
                    let slot = slots[index]
                    if slot.value < 0 { return nil }
                    if slot.hash == hash, Int(slot.count) == name.count,
                        name.count == 0
                            || Self.equal(names.baseAddress! + Int(slot.start), name.baseAddress!, name.count)
                    {
                        return Int(slot.value)
                    }
                    index = (index + 1) & mask
                }
            }
        }
    }

    /// Whether `count` bytes at `lhs` and `rhs` are equal, eight at a time (the last eight overlapping): inline,
    /// where `memcmp` on names of a dozen bytes costs more in the call than in the comparison.
    @inline(__always)
    static func equal(_ lhs: UnsafeRawPointer, _ rhs: UnsafeRawPointer, _ count: Int) -> Bool {
        if count < 8 {
            for offset in 0..<count
            where lhs.load(fromByteOffset: offset, as: UInt8.self) != rhs.load(fromByteOffset: offset, as: UInt8.self) {
                return false
            }
            return true
        }
        var offset = 0
        while offset + 8 < count {
            guard
                lhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    == rhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            else { return false }
            offset += 8
        }
        return lhs.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            == rhs.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }

    /// A hash of the length and the first and last eight bytes, multiplied once: field names are short and
    /// the table is fixed, so a name that collides costs one more probe, never a chain an input can grow.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let count = bytes.count
        var word = UInt64(count) &* 0x9E37_79B9_7F4A_7C15
        if count >= 8 {
            word ^= bytes.loadUnaligned(as: UInt64.self)
            let last = bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            word ^= last << 29 | last >> 35
        } else {
            var tail: UInt64 = 0
            for index in 0..<count { tail |= UInt64(bytes[index]) << UInt64(index * 8) }
            word ^= tail
        }
        let mixed = (word ^ (word >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return UInt32(truncatingIfNeeded: mixed >> 32)
    }
}
