/// Request ids for one event loop: a client's `X-Request-Id` when it is sane (1-128 characters
/// of `A-Z a-z 0-9 - _ . :`), otherwise a new one, unique in this process: a random prefix per
/// generator and a counter (no lock, no system call, one small string per request).
package final class RequestIDGenerator {
    /// The random prefix and its `-`, as bytes.
    private let prefix: [UInt8]
    private var counter: UInt64 = 0

    /// - Parameter counter: where the counter starts (the first id uses the next value).
    package init(counter: UInt64 = 0) {
        self.counter = counter
        var random = SystemRandomNumberGenerator()
        // 24 random bits: with a counter below 2^32 the id stays within 15 bytes, which a Swift
        // string holds inline (no allocation). Ids are unique per generator, and generators
        // differ by their prefix with high probability; they are for correlating logs, not secrets.
        let high = (random.next() as UInt32) & 0xFF_FFFF
        self.prefix = Array((String(high, radix: 16) + "-").utf8)
    }

    /// The id for a request whose `X-Request-Id` is `sent` (nil when absent).
    package func requestID(echoing sent: String?) -> String {
        if let sent, Self.isSane(sent) { return sent }
        self.counter &+= 1
        let counter = self.counter
        let digits = max(1, (UInt64.bitWidth - counter.leadingZeroBitCount + 3) / 4)
        // Written in place: `String(_:radix:)` goes through generic integer formatting per request.
        return String(unsafeUninitializedCapacity: self.prefix.count + digits) { buffer in
            var end = buffer.initialize(fromContentsOf: self.prefix)
            var shift = (digits - 1) * 4
            while shift >= 0 {
                buffer[end] = Self.hexDigits[Int(truncatingIfNeeded: (counter >> UInt64(shift)) & 0xF)]
                end += 1
                shift -= 4
            }
            return end
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether a client's id may be echoed and logged as it is.
    package static func isSane(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard (1...128).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"):
                true
            default:
                false
            }
        }
    }
}
