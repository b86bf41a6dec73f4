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
}

extension ByteBuffer {
    /// Appends `value` in decimal.
    mutating func writeRESPDecimal(_ value: Int64) {
        let length = RESPDecimal.length(of: value)
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { output in
            var magnitude = value.magnitude
            var index = length - 1
            repeat {
                output[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                index -= 1
            } while magnitude > 0
            if value < 0 { output[0] = UInt8(ascii: "-") }
            return length
        }
    }

    /// Appends `\r\n`.
    mutating func writeRESPLineEnd() {
        self.writeInteger(UInt16(0x0D0A))
    }
}
