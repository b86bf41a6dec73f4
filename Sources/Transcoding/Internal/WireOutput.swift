/// Protobuf wire primitives appended to a byte array.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        append(UInt8(value))
    }

    @inline(__always)
    mutating func appendTag(_ tag: UInt32) {
        if tag < 0x80 {
            append(UInt8(tag))
        } else {
            appendVarint(UInt64(tag))
        }
    }

    @inline(__always)
    mutating func appendFixed32(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendFixed64(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Appends a one-byte length placeholder and returns where the length-delimited payload starts.
    @inline(__always)
    mutating func beginLength() -> Int {
        append(0)
        return count
    }

    /// Writes the payload's length before it. A payload of 128 bytes or more moves right by the extra length
    /// bytes: each byte moves once per enclosing message, linear in the size for the bounded depth.
    mutating func endLength(_ start: Int) {
        let length = count - start
        if length < 0x80 {
            self[start - 1] = UInt8(length)
            return
        }
        var size = 1
        var rest = length >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        let extra = size - 1
        append(contentsOf: repeatElement(0, count: extra))
        withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            (base + start + extra).update(from: base + start, count: length)
            var value = length
            var index = start - 1
            while value >= 0x80 {
                base[index] = UInt8(truncatingIfNeeded: value) | 0x80
                value >>= 7
                index += 1
            }
            base[index] = UInt8(value)
        }
    }
}

/// Zig-zag encodings for sint32 and sint64.
enum ZigZag {
    @inline(__always)
    static func encode(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    @inline(__always)
    static func encode(_ value: Int32) -> UInt64 { UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))) }
    @inline(__always)
    static func decode(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
    @inline(__always)
    static func decode32(_ value: UInt64) -> Int32 {
        let low = UInt32(truncatingIfNeeded: value)
        return Int32(bitPattern: low >> 1) ^ -Int32(bitPattern: low & 1)
    }
}
