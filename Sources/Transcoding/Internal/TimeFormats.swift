import JSON

/// The JSON forms of `google.protobuf.Timestamp` (RFC 3339, UTC on output) and `Duration` (`"1.5s"`), with the
/// ranges protobuf allows: years 1 to 9999, and ±315,576,000,000 seconds.
enum TimeFormats {
    static let minimumTimestampSeconds: Int64 = -62_135_596_800  // 0001-01-01T00:00:00Z
    static let maximumTimestampSeconds: Int64 = 253_402_300_799  // 9999-12-31T23:59:59Z
    static let maximumDurationSeconds: Int64 = 315_576_000_000

    /// `-?S[.fraction]s`, at most nine fractional digits.
    static func parseDuration(_ text: UnsafeRawBufferPointer) -> (seconds: Int64, nanos: Int32)? {
        guard text.count >= 2, text.last == UInt8(ascii: "s") else { return nil }
        var index = 0
        let negative = text[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var seconds: Int64 = 0
        let start = index
        while index < text.count - 1, text[index] &- UInt8(ascii: "0") < 10 {
            guard index - start < 12 else { return nil }
            seconds = seconds * 10 + Int64(text[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index > start else { return nil }
        var nanos: Int32 = 0
        if text[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < text.count - 1, text[index] &- UInt8(ascii: "0") < 10 {
                guard index - fractionStart < 9 else { return nil }
                nanos = nanos * 10 + Int32(text[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index > fractionStart else { return nil }
            for _ in 0..<(9 - (index - fractionStart)) { nanos *= 10 }
        }
        guard index == text.count - 1, seconds <= maximumDurationSeconds else { return nil }
        return negative ? (-seconds, -nanos) : (seconds, nanos)
    }

    /// RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as the proto3 JSON mapping writes it: composed on the
    /// stack two digits at a time and appended at once.
    static func appendTimestamp(seconds: Int64, nanos: Int32, to output: inout ByteWriter) -> Bool {
        guard seconds >= minimumTimestampSeconds, seconds <= maximumTimestampSeconds, nanos >= 0, nanos < 1_000_000_000
        else { return false }
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civilFromDays(days)
        // `"YYYY-MM-DDTHH:MM:SS.fffffffffZ"` is at most 32 bytes.
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { text in
            text[0] = UInt8(ascii: "\"")
            putDigits(year / 100, at: 1, text)
            putDigits(year % 100, at: 3, text)
            text[5] = UInt8(ascii: "-")
            putDigits(month, at: 6, text)
            text[8] = UInt8(ascii: "-")
            putDigits(day, at: 9, text)
            text[11] = UInt8(ascii: "T")
            putDigits(secondOfDay / 3600, at: 12, text)
            text[14] = UInt8(ascii: ":")
            putDigits(secondOfDay / 60 % 60, at: 15, text)
            text[17] = UInt8(ascii: ":")
            putDigits(secondOfDay % 60, at: 18, text)
            var end = 20
            if nanos != 0 {
                text[20] = UInt8(ascii: ".")
                let (value, width) =
                    nanos % 1_000_000 == 0
                    ? (Int(nanos / 1_000_000), 3) : nanos % 1000 == 0 ? (Int(nanos / 1000), 6) : (Int(nanos), 9)
                putFraction(value, width: width, at: 21, text)
                end = 21 + width
            }
            text[end] = UInt8(ascii: "Z")
            text[end + 1] = UInt8(ascii: "\"")
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[..<(end + 2)]))
        }
        return true
    }

    /// Two decimal digits of `value` (below 100) at `offset`.
    @inline(__always)
    private static func putDigits(_ value: Int, at offset: Int, _ text: UnsafeMutableRawBufferPointer) {
        text[offset] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 10)
        text[offset + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
    }

    /// `width` (3, 6 or 9) decimal digits of `value`, zero-padded, at `offset`.
    @inline(__always)
    private static func putFraction(_ value: Int, width: Int, at offset: Int, _ text: UnsafeMutableRawBufferPointer) {
        var rest = value
        var position = offset + width
        while position - offset >= 2 {
            position -= 2
            putDigits(rest % 100, at: position, text)
            rest /= 100
        }
        if position > offset { text[offset] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest) }
    }

    static func appendDuration(seconds: Int64, nanos: Int32, to output: inout ByteWriter) -> Bool {
        guard seconds >= -maximumDurationSeconds, seconds <= maximumDurationSeconds, abs(nanos) < 1_000_000_000,
            seconds == 0 || nanos == 0 || (seconds < 0) == (nanos < 0)
        else { return false }
        output.append(UInt8(ascii: "\""))
        if seconds < 0 || nanos < 0 { output.append(UInt8(ascii: "-")) }
        output.append(contentsOf: String(seconds.magnitude).utf8)
        appendFraction(Int32(nanos.magnitude), &output)
        output.append(UInt8(ascii: "s"))
        output.append(UInt8(ascii: "\""))
        return true
    }

    private static func appendFraction(_ nanos: Int32, _ output: inout ByteWriter) {
        guard nanos != 0 else { return }
        output.append(UInt8(ascii: "."))
        if nanos % 1_000_000 == 0 {
            appendDigits(Int(nanos / 1_000_000), 3, &output)
        } else if nanos % 1000 == 0 {
            appendDigits(Int(nanos / 1000), 6, &output)
        } else {
            appendDigits(Int(nanos), 9, &output)
        }
    }

    private static func appendDigits(_ value: Int, _ width: Int, _ output: inout ByteWriter) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
