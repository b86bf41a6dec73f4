internal import NIOCore

/// Decimal integers as RESP writes them (array and bulk lengths, integer arguments), straight into
/// a buffer: no `String` on the way.
enum RESPDecimal {
    /// How many bytes `value` takes in decimal, its sign included.
    static func length(of value: Int64) -> Int {
        var magnitude = value.magnitude
        var digits = 1
        while magnitude >= 10 {
            magnitude /= 10
            digits += 1
        }
        return value < 0 ? digits + 1 : digits
    }

    /// Writes `value` in decimal at `offset` of `output`, taking `length` (``length(of:)``) bytes.
    static func write(_ value: Int64, length: Int, into output: UnsafeMutableRawBufferPointer, at offset: Int) {
        var magnitude = value.magnitude
        var index = offset + length - 1
        repeat {
            output[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        if value < 0 { output[offset] = UInt8(ascii: "-") }
    }
}

extension ByteBuffer {
    /// Appends `value` in decimal.
    mutating func writeRESPDecimal(_ value: Int64) {
        let length = RESPDecimal.length(of: value)
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { output in
            RESPDecimal.write(value, length: length, into: output, at: 0)
            return length
        }
    }

    /// Appends `bytes` as a RESP bulk string (`$<length>\r\n<bytes>\r\n`) with one capacity check.
    mutating func writeRESPBulkString(_ bytes: UnsafeRawBufferPointer) {
        let digits = RESPDecimal.length(of: Int64(bytes.count))
        let total = digits + bytes.count + 5
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { output in
            output[0] = UInt8(ascii: "$")
            RESPDecimal.write(Int64(bytes.count), length: digits, into: output, at: 1)
            output[digits + 1] = UInt8(ascii: "\r")
            output[digits + 2] = UInt8(ascii: "\n")
            if let base = bytes.baseAddress, bytes.count > 0 {
                (output.baseAddress! + digits + 3).copyMemory(from: base, byteCount: bytes.count)
            }
            output[total - 2] = UInt8(ascii: "\r")
            output[total - 1] = UInt8(ascii: "\n")
            return total
        }
    }

    /// Appends `value` in decimal as a RESP bulk string, with one capacity check.
    mutating func writeRESPBulkString(decimal value: Int64) {
        let length = RESPDecimal.length(of: value)
        let digits = RESPDecimal.length(of: Int64(length))
        let total = digits + length + 5
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { output in
            output[0] = UInt8(ascii: "$")
            RESPDecimal.write(Int64(length), length: digits, into: output, at: 1)
            output[digits + 1] = UInt8(ascii: "\r")
            output[digits + 2] = UInt8(ascii: "\n")
            RESPDecimal.write(value, length: length, into: output, at: digits + 3)
            output[total - 2] = UInt8(ascii: "\r")
            output[total - 1] = UInt8(ascii: "\n")
            return total
        }
    }

    /// Appends `\r\n`.
    mutating func writeRESPLineEnd() {
        self.writeInteger(UInt16(0x0D0A))
    }
}
