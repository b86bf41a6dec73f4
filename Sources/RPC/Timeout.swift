/// The `grpc-timeout` header: at most 8 digits and a unit (H M S m u n).
package enum Timeout {
    /// Parses a header value; nil if malformed.
    package static func parse(_ value: String) -> Duration? {
        let utf8 = value.utf8
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var amount: Int64 = 0
        for byte in utf8.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(amount * 3600)
        case UInt8(ascii: "M"): return .seconds(amount * 60)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }

    /// Encodes a duration in the finest unit that fits 8 digits (rounded up: never a shorter budget).
    static func encode(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return "0n" }
        guard seconds < 9_000_000_000 else {
            return Self.text(min(Self.divideRoundingUp(seconds, 3600), 99_999_999), unit: UInt8(ascii: "H"))
        }
        // Fits in Int64 nanoseconds.
        return Self.encode(nanoseconds: seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000)
    }

    /// Encodes a positive number of nanoseconds (per call, on the client's path: no allocation).
    static func encode(nanoseconds: Int64) -> String {
        guard nanoseconds > 0 else { return "0n" }
        if nanoseconds <= 99_999_999 { return Self.text(nanoseconds, unit: UInt8(ascii: "n")) }
        var amount = Self.divideRoundingUp(nanoseconds, 1_000)
        if amount <= 99_999_999 { return Self.text(amount, unit: UInt8(ascii: "u")) }
        amount = Self.divideRoundingUp(nanoseconds, 1_000_000)
        if amount <= 99_999_999 { return Self.text(amount, unit: UInt8(ascii: "m")) }
        amount = Self.divideRoundingUp(nanoseconds, 1_000_000_000)
        if amount <= 99_999_999 { return Self.text(amount, unit: UInt8(ascii: "S")) }
        amount = Self.divideRoundingUp(nanoseconds, 60_000_000_000)
        if amount <= 99_999_999 { return Self.text(amount, unit: UInt8(ascii: "M")) }
        return Self.text(
            min(Self.divideRoundingUp(nanoseconds, 3_600_000_000_000), 99_999_999), unit: UInt8(ascii: "H"))
    }

    /// At most 8 digits and the unit: 9 bytes, which a String holds inline.
    private static func text(_ amount: Int64, unit: UInt8) -> String {
        String(unsafeUninitializedCapacity: 9) { buffer in
            var digits = 1
            var rest = amount / 10
            while rest > 0 {
                digits += 1
                rest /= 10
            }
            var value = amount
            for index in stride(from: digits - 1, through: 0, by: -1) {
                buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            buffer[digits] = unit
            return digits + 1
        }
    }

    /// Nanoseconds in `duration`, saturating at the bounds of Int64.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = product.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? .max : sum
    }

    private static func divideRoundingUp(_ value: Int64, _ divisor: Int64) -> Int64 {
        value / divisor + (value % divisor == 0 ? 0 : 1)
    }
}
