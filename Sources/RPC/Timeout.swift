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
        if seconds < 9_000_000_000 {
            // Fits in Int64 nanoseconds.
            let nanoseconds = seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
            let units: [(Int64, Character)] = [
                (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"),
                (3_600_000_000_000, "H"),
            ]
            for (scale, unit) in units {
                let amount = Self.divideRoundingUp(nanoseconds, scale)
                if amount <= 99_999_999 { return "\(amount)\(unit)" }
            }
        }
        return "\(min(Self.divideRoundingUp(seconds, 3600), 99_999_999))H"
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
