package import Foundation

/// Halo's one UUID text codec: the identity header (`x-halo-user-id`), ids in requests, and id
/// columns read from SQL all go through it. It lives here, in the smallest module the gateway and
/// every service share.
extension UUID {
    /// Parses the hyphenated form (8-4-4-4-12 hex digits, either case) directly from its bytes; nil
    /// for anything else. Foundation's parser (`UUID(uuidString:)`) goes through `sscanf`, which
    /// costs more than the rest of a point read.
    package init?(hyphenated text: String) {
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ UUID(hyphenatedUTF8: $0) }) {
            guard let parsed else { return nil }
            self = parsed
        } else {
            guard let parsed = Array(text.utf8).withUnsafeBufferPointer({ UUID(hyphenatedUTF8: $0) }) else {
                return nil
            }
            self = parsed
        }
    }

    /// Parses the hyphenated form from UTF-8 bytes (a column's text, a header's value); nil for anything else.
    package init?(hyphenatedUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &value) { output -> Bool in
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard bytes[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = Self.nibble(bytes[position]), let low = Self.nibble(bytes[position + 1]) else {
                    return false
                }
                output[index] = high << 4 | low
                position += 2
            }
            return true
        }
        guard parsed else { return nil }
        self.init(uuid: value)
    }

    /// The lower-case canonical form Halo stores and sends (`uuidString` is upper case).
    package var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { output in
            self.writeLowercased(into: output)
            return 36
        }
    }

    /// Writes the 36 bytes of the lower-case canonical form to the start of `output`.
    package func writeLowercased(into output: UnsafeMutableBufferPointer<UInt8>) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: self.uuid) { bytes in
            digits.withUTF8Buffer { hex in
                var position = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        output[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    output[position] = hex[Int(bytes[index] >> 4)]
                    output[position + 1] = hex[Int(bytes[index] & 0x0F)]
                    position += 2
                }
            }
        }
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }
}
