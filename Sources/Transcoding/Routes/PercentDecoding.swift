/// Percent-decoding of path variables as http.proto specifies: a single-segment variable decodes everything; a
/// multi-segment one keeps `%2F` (and `%2f`) encoded so that its slashes stay distinguishable.
enum PercentDecoding {
    static func decode(_ text: String, keepingSlashes: Bool) throws(RouteError) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            else { throw RouteError(.badPath, "invalid percent-encoding in path") }
            let decoded = high << 4 | low
            if keepingSlashes, decoded == UInt8(ascii: "/") {
                output.append(contentsOf: bytes[index..<index + 3])
            } else {
                output.append(decoded)
            }
            index += 3
        }
        guard let string = String(validating: output, as: UTF8.self) else {
            throw RouteError(.badPath, "invalid UTF-8 in path")
        }
        return string
    }

    /// Decodes a query string component (`+` is a space).
    static func decodeQuery(_ text: Substring) throws(RouteError) -> String {
        let plus = text.replacing("+", with: " ")
        return try decode(String(plus), keepingSlashes: false)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
