/// Writing JSON text: strings quoted and escaped after UTF-8 validation, integers without `String` detours.
package enum JSONOutput {
    /// Appends `"…"` with `"`, `\` and control characters escaped; false (and nothing appended) when `text` is not
    /// valid UTF-8 (no overlong forms, no encoded surrogates).
    package static func appendQuoted(_ text: UnsafeRawBufferPointer, to output: inout ByteWriter) -> Bool {
        let mark = output.count
        output.append(.quote)
        var index = 0
        var runStart = 0
        let count = text.count
        while index < count {
            // Eight plain ASCII bytes at a time (nothing to escape, no multibyte sequence to validate), then
            // straight to the first byte that needs a look.
            while index + 8 <= count {
                let word = UInt64(littleEndian: text.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let special = JSONReader.specialBytes(word)
                if special != 0 {
                    index += special.trailingZeroBitCount >> 3
                    break
                }
                index += 8
            }
            guard index < count else { break }
            let byte = text[index]
            if byte >= 0x20, byte != .quote, byte != .backslash, byte < 0x80 {
                index += 1
                continue
            }
            if byte >= 0x80 {
                guard let length = multibyteLength(text, at: index) else {
                    output.removeSubrange(mark...)
                    return false
                }
                index += length
                continue
            }
            if index > runStart { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<index])) }
            output.append(.backslash)
            switch byte {
            case .quote, .backslash: output.append(byte)
            case 0x08: output.append(UInt8(ascii: "b"))
            case 0x0C: output.append(UInt8(ascii: "f"))
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "t"))
            default:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
            index += 1
            runStart = index
        }
        if index > runStart { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<index])) }
        output.append(.quote)
        return true
    }

    /// Whether `text` is valid UTF-8.
    package static func isValidUTF8(_ text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index < text.count {
            if text[index] < 0x80 {
                index += 1
            } else if let length = multibyteLength(text, at: index) {
                index += length
            } else {
                return false
            }
        }
        return true
    }

    /// The length of the valid UTF-8 sequence of two to four bytes at `index`, or nil (Unicode table 3-7).
    static func multibyteLength(_ text: UnsafeRawBufferPointer, at index: Int) -> Int? {
        let lead = text[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return nil
        }
        guard index + length <= text.count else { return nil }
        let second = text[index + 1]
        guard second >= low, second <= high else { return nil }
        for offset in 2..<length where text[index + offset] & 0xC0 != 0x80 { return nil }
        return length
    }

    /// Appends the decimal digits of `value`, two per division, stored straight into the output.
    @inline(__always)
    package static func appendDecimal(_ value: UInt64, to output: inout ByteWriter) {
        if value < 10 {
            output.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var length = 2
        var power: UInt64 = 100
        while length < 20, value >= power {
            length += 1
            power = power &* 10
        }
        let digits = output.reserve(length)
        var rest = value
        var index = length
        while rest >= 100 {
            let quotient = rest / 100
            let pair = UInt8(truncatingIfNeeded: rest &- quotient &* 100)
            index -= 2
            digits[index] = UInt8(ascii: "0") + pair / 10
            digits[index + 1] = UInt8(ascii: "0") + pair % 10
            rest = quotient
        }
        if rest >= 10 {
            let pair = UInt8(truncatingIfNeeded: rest)
            digits[0] = UInt8(ascii: "0") + pair / 10
            digits[1] = UInt8(ascii: "0") + pair % 10
        } else {
            digits[0] = UInt8(ascii: "0") + UInt8(rest)
        }
        output.advance(by: length)
    }

    /// Appends the decimal digits of `value`, with a minus sign when negative.
    @inline(__always)
    package static func appendDecimal(_ value: Int64, to output: inout ByteWriter) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, to: &output)
    }
}

/// The same for an array (callers off the hot path: documents built once, values from a URL).
extension JSONOutput {
    /// `appendQuoted` into an array.
    package static func appendQuoted(_ text: UnsafeRawBufferPointer, to output: inout [UInt8]) -> Bool {
        var valid = true
        ByteWriter.writing(into: &output, reserving: text.count * 6 + 2) { valid = appendQuoted(text, to: &$0) }
        return valid
    }

    /// `appendDecimal` into an array.
    package static func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
        ByteWriter.writing(into: &output, reserving: 20) { appendDecimal(value, to: &$0) }
    }
}
