import JSON

/// Protobuf wire primitives appended to the output.
extension ByteWriter {
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        let bytes = reserve(10)
        var value = value
        var written = 0
        while value >= 0x80 {
            bytes[written] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            written += 1
        }
        bytes[written] = UInt8(value)
        advance(by: written + 1)
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
        UnsafeMutableRawPointer(reserve(4)).storeBytes(of: value.littleEndian, as: UInt32.self)
        advance(by: 4)
    }

    @inline(__always)
    mutating func appendFixed64(_ value: UInt64) {
        UnsafeMutableRawPointer(reserve(8)).storeBytes(of: value.littleEndian, as: UInt64.self)
        advance(by: 8)
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
        insertGap(at: start, count: extra)
        var value = length
        var index = start - 1
        while value >= 0x80 {
            self[index] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            index += 1
        }
        self[index] = UInt8(value)
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
