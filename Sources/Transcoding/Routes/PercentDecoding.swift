/// Percent-decoding of path variables as http.proto specifies: a single-segment variable decodes everything; a
/// multi-segment one keeps `%2F` (and `%2f`) encoded so that its slashes stay distinguishable.
enum PercentDecoding {
    static func decode(_ text: String, keepingSlashes: Bool) throws(RouteError) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return try self.decode(text.utf8, keepingSlashes: keepingSlashes, plusIsSpace: false)
    }

    /// Decodes a query string component (`+` is a space). Most components have neither `%` nor
    /// `+`: they are copied once, nothing else.
    static func decodeQuery(_ text: Substring) throws(RouteError) -> String {
        let bytes = text.utf8
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        return try self.decode(bytes, keepingSlashes: false, plusIsSpace: true)
    }

    /// One pass over the bytes: `%XX` decoded (kept when it is a slash and `keepingSlashes`),
    /// `+` a space when `plusIsSpace`; the result must be UTF-8.
    private static func decode(
        _ bytes: some Collection<UInt8>, keepingSlashes: Bool, plusIsSpace: Bool
    ) throws(RouteError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            bytes.formIndex(after: &index)
            if byte == UInt8(ascii: "+"), plusIsSpace {
                output.append(UInt8(ascii: " "))
                continue
            }
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                continue
            }
            guard index != bytes.endIndex, let high = hexValue(bytes[index]) else { throw Self.badEncoding }
            bytes.formIndex(after: &index)
            guard index != bytes.endIndex, let low = hexValue(bytes[index]) else { throw Self.badEncoding }
            let encoded = bytes[index]
            bytes.formIndex(after: &index)
            let decoded = high << 4 | low
            if keepingSlashes, decoded == UInt8(ascii: "/") {
                output.append(UInt8(ascii: "%"))
                output.append(UInt8(ascii: "2"))
                output.append(encoded)  // `F` or `f`, as sent
            } else {
                output.append(decoded)
            }
        }
        guard let string = String(validating: output, as: UTF8.self) else {
            throw RouteError(.badPath, "invalid UTF-8 in path")
        }
        return string
    }

    private static var badEncoding: RouteError { RouteError(.badPath, "invalid percent-encoding in path") }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
