extension JSONReader {
    /// Scans a string whose opening quote is at `position`; returns the offset of the closing quote and whether
    /// there were escapes, leaving `position` after the closing quote.
    ///
    /// Everything that could make the text mean two things is refused here, so that decoding a scanned string
    /// never fails: control characters, invalid escapes, lone surrogate escapes and invalid UTF-8.
    mutating func scanString() throws(JSONError) -> (end: Int, escaped: Bool) {
        var index = position &+ 1
        var escaped = false
        while true {
            index = firstSpecialByte(from: index)
            guard index < length else { throw JSONError("unterminated JSON string", at: position) }
            switch self[index] {
            case .quote:
                position = index &+ 1
                return (index, escaped)
            case .backslash:
                escaped = true
                index = try scanEscape(at: index)
            case ..<0x20:
                throw JSONError("control character in JSON string", at: index)
            case ..<0x80:
                index &+= 1
            default:
                index = try scanMultibyte(at: index)
            }
        }
    }

    /// The offset of the first byte at or after `start` that a string scan must look at (below 0x20, a quote, a
    /// backslash or above 0x7F), or of a byte near the end of the input from which to go on byte by byte (or
    /// `length`). Sixteen bytes at a time where the input has sixteen more: three vector compares (as signed
    /// bytes, those above 0x7F are negative, so one compare finds them with the control characters), and on a hit
    /// the compare's lanes as two words give the offset; then eight at a time by `specialBytes`.
    @inline(__always)
    func firstSpecialByte(from start: Int) -> Int {
        var index = start
        while index &+ 16 <= length {
            // The types are spelled out: with `SIMD16(repeating:)` inferred, the lanes were compared one by one.
            let vector = base.loadUnaligned(fromByteOffset: index, as: SIMD16<Int8>.self)
            let below = vector .< SIMD16<Int8>(repeating: 0x20)
            let quote = vector .== SIMD16<Int8>(repeating: 0x22)
            let backslash = vector .== SIMD16<Int8>(repeating: 0x5C)
            let special = below .| quote .| backslash
            if any(special) {
                let lanes = SIMD16<Int8>(repeating: 0).replacing(with: -1, where: special)
                let words = unsafeBitCast(lanes, to: SIMD2<UInt64>.self)
                if words[0] != 0 { return index &+ words[0].littleEndian.trailingZeroBitCount &>> 3 }
                return index &+ 8 &+ words[1].littleEndian.trailingZeroBitCount &>> 3
            }
            index &+= 16
        }
        while index &+ 8 <= length {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let special = Self.specialBytes(word)
            if special != 0 { return index &+ special.trailingZeroBitCount &>> 3 }
            index &+= 8
        }
        return index
    }

    /// The high bits of the bytes of `word` (little-endian) that are below 0x20, a quote, a backslash or above
    /// 0x7F; 0 when there is none. Bytes above the first such byte may be marked falsely (borrows), so only the
    /// lowest mark is exact: callers take the first, or test for none.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func zeroBytes(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let below20 = (word &- ones &* 0x20) & ~word & highs
        let quote = zeroBytes(word ^ (ones &* 0x22))
        let backslash = zeroBytes(word ^ (ones &* 0x5C))
        return (word & highs) | below20 | quote | backslash
    }

    /// Validates the escape at `index` (a backslash); returns the offset after it.
    private func scanEscape(at index: Int) throws(JSONError) -> Int {
        guard index + 1 < length else { throw JSONError("unterminated JSON string", at: index) }
        switch self[index + 1] {
        case .quote, .backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
            UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            let unit = try hex4(at: index + 2)
            if unit & 0xFC00 == 0xD800 {
                guard index + 7 < length, self[index + 6] == .backslash, self[index + 7] == UInt8(ascii: "u")
                else { throw JSONError("lone surrogate in JSON string", at: index) }
                let low = try hex4(at: index + 8)
                guard low & 0xFC00 == 0xDC00 else { throw JSONError("lone surrogate in JSON string", at: index) }
                return index + 12
            }
            guard unit & 0xFC00 != 0xDC00 else { throw JSONError("lone surrogate in JSON string", at: index) }
            return index + 6
        default:
            throw JSONError("invalid escape in JSON string", at: index)
        }
    }

    private func hex4(at index: Int) throws(JSONError) -> UInt16 {
        guard index + 4 <= length else { throw JSONError("invalid \\u escape in JSON string", at: index) }
        var value: UInt16 = 0
        for offset in 0..<4 {
            guard let digit = self[index + offset].hexDigitValue else {
                throw JSONError("invalid \\u escape in JSON string", at: index)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Validates one UTF-8 sequence of two to four bytes at `index` (Unicode 15, table 3-7); returns the offset
    /// after it.
    private func scanMultibyte(at index: Int) throws(JSONError) -> Int {
        guard let length = JSONOutput.multibyteLength(bytes, at: index) else {
            throw JSONError("invalid UTF-8 in JSON string", at: index)
        }
        return index + length
    }

    // MARK: - Decoding scanned strings

    /// Calls `body` with the unescaped UTF-8 bytes of a string or name token; unescaped tokens are passed
    /// straight from the input, escaped ones through `scratch` (cleared first, kept for reuse).
    @inline(__always)
    package func withUnescaped<Result, Failure: Error>(
        _ token: JSONToken, scratch: inout [UInt8],
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        if !token.hasEscapes {
            return try body(UnsafeRawBufferPointer(rebasing: bytes[token.start..<token.end]))
        }
        scratch.removeAll(keepingCapacity: true)
        appendUnescaped(token, to: &scratch)
        // withUnsafeBytes rethrows an untyped error, so the typed one travels in a Result.
        let outcome = scratch.withUnsafeBytes { buffer in
            Swift.Result { () throws(Failure) -> Result in try body(buffer) }
        }
        return try outcome.get()
    }

    /// Appends the unescaped UTF-8 bytes of a string or name token to `output`.
    package func appendUnescaped(_ token: JSONToken, to output: inout [UInt8]) {
        var index = token.start
        let end = token.end
        if !token.hasEscapes {
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
            return
        }
        while index < end {
            var runEnd = index
            while runEnd < end, self[runEnd] != .backslash { runEnd += 1 }
            if runEnd > index { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<runEnd])) }
            index = runEnd
            guard index < end else { return }
            let escape = self[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(unsafeHex4(at: index))
                index += 4
                if scalar & 0xFC00 == 0xD800 {
                    let low = UInt32(unsafeHex4(at: index + 2))
                    index += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                Self.appendUTF8(scalar, to: &output)
            default: output.append(escape)  // " \ /
            }
        }
    }

    /// The unescaped text of a string or name token.
    package func string(_ token: JSONToken) -> String {
        if !token.hasEscapes {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[token.start..<token.end]), as: UTF8.self)
        }
        var scratch: [UInt8] = []
        scratch.reserveCapacity(token.end - token.start)
        appendUnescaped(token, to: &scratch)
        return String(decoding: scratch, as: UTF8.self)
    }

    /// Whether a string or name token's unescaped text equals `literal` (ASCII, no escapes needed).
    package func text(of token: JSONToken, equals literal: StaticString) -> Bool {
        guard !token.hasEscapes else { return string(token) == literal.description }
        let count = literal.utf8CodeUnitCount
        guard token.end - token.start == count else { return false }
        return memcmpEqual(bytes.baseAddress! + token.start, literal.utf8Start, count)
    }

    private func unsafeHex4(at index: Int) -> UInt16 {
        var value: UInt16 = 0
        for offset in 0..<4 { value = value << 4 | UInt16(self[index + offset].hexDigitValue!) }
        return value
    }

    /// Appends a scalar's UTF-8 encoding.
    package static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            output.append(UInt8(scalar))
        case ..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

@inline(__always)
func memcmpEqual(_ lhs: UnsafeRawPointer, _ rhs: UnsafeRawPointer, _ count: Int) -> Bool {
    for offset in 0..<count
    where lhs.load(fromByteOffset: offset, as: UInt8.self) != rhs.load(fromByteOffset: offset, as: UInt8.self) {
        return false
    }
    return true
}

extension UInt8 {
    var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return self - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
