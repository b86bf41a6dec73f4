/// Exact parsing of JSON number text (from a number token, or from a string holding one) for the type a
/// consumer needs: 64-bit integers without a detour through `Double`, and doubles with correct rounding.
package enum JSONNumber {
    /// An integer read from number text.
    package enum Integer: Equatable, Sendable {
        /// The value as sign and magnitude (so that both `Int64.min` and `UInt64.max` fit).
        case value(negative: Bool, magnitude: UInt64)
        /// The text is not a JSON number.
        case notANumber
        /// The number has a non-zero fractional part.
        case fraction
        /// The number is integral but beyond 64 bits.
        case outOfRange

        /// The value as an `Int64`, when it is one.
        package var int64: Int64? {
            guard case .value(let negative, let magnitude) = self else { return nil }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
                return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
            }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }

        /// The value as a `UInt64`, when it is one (`-0` is zero).
        package var uint64: UInt64? {
            guard case .value(let negative, let magnitude) = self else { return nil }
            return negative && magnitude != 0 ? nil : magnitude
        }
    }

    /// Whether `text` is exactly one JSON number (RFC 8259 §6).
    package static func isValid(_ text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = text.count
        if index < count, text[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count, text[index].isDigit else { return false }
        if text[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < count, text[index].isDigit { index += 1 }
        }
        if index < count, text[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < count, text[index].isDigit { index += 1 }
            guard index > start else { return false }
        }
        if index < count, text[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
            let start = index
            while index < count, text[index].isDigit { index += 1 }
            guard index > start else { return false }
        }
        return index == count
    }

    /// Reads number text as an exact integer; `1e3` and `5.0` are integers, `1.5` is a fraction.
    package static func integer(_ text: UnsafeRawBufferPointer) -> Integer {
        guard isValid(text) else { return .notANumber }
        let negative = text[0] == UInt8(ascii: "-")
        // Fast path: plain digits only.
        var index = negative ? 1 : 0
        var magnitude: UInt64 = 0
        var plain = true
        while index < text.count {
            let byte = text[index]
            guard byte.isDigit else {
                plain = false
                break
            }
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            if overflow1 || overflow2 {
                plain = false
                break
            }
            magnitude = sum
            index += 1
        }
        if plain { return .value(negative: negative, magnitude: magnitude) }
        return generalInteger(text, negative: negative)
    }

    /// Integers written with a fraction, an exponent or more than 19 digits.
    private static func generalInteger(_ text: UnsafeRawBufferPointer, negative: Bool) -> Integer {
        // Split into the significant digits (integer then fraction part) and a decimal exponent.
        var index = negative ? 1 : 0
        let digitsStart = index
        while index < text.count, text[index].isDigit { index += 1 }
        let digitsEnd = index
        var fractionDigits = 0
        var fractionStart = index
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            fractionStart = index
            while index < text.count, text[index].isDigit { index += 1 }
            fractionDigits = index - fractionStart
        }
        var exponent = 0
        if index < text.count {  // e or E
            index += 1
            var exponentNegative = false
            if text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            while index < text.count {
                if exponent < 100_000 { exponent = exponent * 10 + Int(text[index] &- UInt8(ascii: "0")) }
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        // The digit sequence, as a function of position across both parts.
        let total = (digitsEnd - digitsStart) + fractionDigits
        func digit(_ position: Int) -> UInt8 {
            let integerCount = digitsEnd - digitsStart
            let offset = position < integerCount ? digitsStart + position : fractionStart + position - integerCount
            return text[offset] &- UInt8(ascii: "0")
        }
        var first = 0
        while first < total, digit(first) == 0 { first += 1 }
        var last = total
        while last > first, digit(last - 1) == 0 { last -= 1 }
        if first == last { return .value(negative: negative, magnitude: 0) }
        // Value = digits[first..<last] * 10^scale.
        let scale = exponent - fractionDigits + (total - last)
        if scale < 0 { return .fraction }
        if (last - first) + scale > 20 { return .outOfRange }
        var magnitude: UInt64 = 0
        for position in first..<last {
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit(position)))
            if overflow1 || overflow2 { return .outOfRange }
            magnitude = sum
        }
        for _ in 0..<scale {
            let (shifted, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            if overflow { return .outOfRange }
            magnitude = shifted
        }
        return .value(negative: negative, magnitude: magnitude)
    }

    /// Reads number text as the nearest `Double` (infinite when the text is beyond its range); nil when the text
    /// is not a JSON number.
    package static func double(_ text: UnsafeRawBufferPointer) -> Double? {
        guard isValid(text) else { return nil }
        // Every valid JSON number is also valid for the standard library's correctly rounded parser.
        return Double(String(decoding: text, as: UTF8.self))
    }
}
