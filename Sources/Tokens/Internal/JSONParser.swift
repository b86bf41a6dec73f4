/// A strict, bounded RFC 8259 parser for the small documents in tokens and key sets.
///
/// Refuses what a lenient parser might read differently from another (RFC 8725 §2.4): duplicate member names,
/// invalid UTF-8, lone surrogates, control characters in strings, trailing data, a byte order mark, and
/// nesting deeper than `maximumDepth` or objects with more than `maximumMembers` members.
struct JSONParser {
    static let maximumMembers = 64
    private let bytes: [UInt8]
    private let maximumDepth: Int
    private var index = 0

    private init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Parses `bytes` as exactly one JSON object.
    static func parseObject(_ bytes: [UInt8], maximumDepth: Int = 16) throws(JSONError) -> JSONObject {
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        guard parser.index < bytes.count, bytes[parser.index] == .openBrace else {
            throw JSONError("expected a JSON object")
        }
        let object = try parser.parseObject(depth: 1)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONError("unexpected data after the JSON object") }
        return object
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw JSONError("unexpected end of JSON") }
        switch bytes[index] {
        case .openBrace: return .object(try parseObject(depth: depth + 1))
        case .openBracket: return .array(try parseArray(depth: depth + 1))
        case .quote: return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONError("unexpected character in JSON")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONObject {
        guard depth <= maximumDepth else { throw JSONError("JSON nested too deeply") }
        index += 1  // {
        var members: [JSONObject.Member] = []
        skipWhitespace()
        if consume(.closeBrace) { return JSONObject(members: members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == .quote else { throw JSONError("expected a member name") }
            let name = try parseString()
            for member in members where member.name.utf8.elementsEqual(name.utf8) {
                throw JSONError("duplicate member name")
            }
            guard members.count < Self.maximumMembers else { throw JSONError("too many members in a JSON object") }
            skipWhitespace()
            guard consume(.colon) else { throw JSONError("expected ':'") }
            members.append(JSONObject.Member(name: name, value: try parseValue(depth: depth)))
            skipWhitespace()
            if consume(.comma) { continue }
            guard consume(.closeBrace) else { throw JSONError("expected ',' or '}'") }
            return JSONObject(members: members)
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> [JSONValue] {
        guard depth <= maximumDepth else { throw JSONError("JSON nested too deeply") }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(.closeBracket) { return elements }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if consume(.comma) { continue }
            guard consume(.closeBracket) else { throw JSONError("expected ',' or ']'") }
            return elements
        }
    }

    private mutating func parseString() throws(JSONError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes, so the string is a slice of the input.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == .quote {
                index += 1
                return try Self.makeString(bytes[start..<(index - 1)])
            }
            if byte == .backslash { break }
            guard byte >= 0x20 else { throw JSONError("control character in JSON string") }
            index += 1
        }
        var unescaped = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case .quote:
                return try Self.makeString(unescaped[...])
            case .backslash:
                try appendEscape(to: &unescaped)
            case ..<0x20:
                throw JSONError("control character in JSON string")
            default:
                unescaped.append(byte)
            }
        }
        throw JSONError("unterminated JSON string")
    }

    private mutating func appendEscape(to output: inout [UInt8]) throws(JSONError) {
        guard index < bytes.count else { throw JSONError("unterminated JSON string") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case .quote, .backslash, UInt8(ascii: "/"): output.append(escape)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == .backslash, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONError("lone surrogate in JSON string")
                }
                index += 2
                let low = UInt32(try parseHex4())
                guard (0xDC00...0xDFFF).contains(low) else { throw JSONError("lone surrogate in JSON string") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONError("lone surrogate in JSON string")
            }
            output.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
        default:
            throw JSONError("invalid escape in JSON string")
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt16 {
        guard index + 4 <= bytes.count else { throw JSONError("invalid \\u escape") }
        var value: UInt16 = 0
        for byte in bytes[index..<(index + 4)] {
            guard let digit = byte.hexDigitValue else { throw JSONError("invalid \\u escape") }
            value = value << 4 | UInt16(digit)
        }
        index += 4
        return value
    }

    private mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let integerStart = index
        guard index < bytes.count, bytes[index].isDigit else { throw JSONError("invalid JSON number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, bytes[index].isDigit { index += 1 }
        }
        let integerEnd = index
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard skipDigits() else { throw JSONError("invalid JSON number") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard skipDigits() else { throw JSONError("invalid JSON number") }
        }
        if isInteger, let value = Self.integer(bytes[integerStart..<integerEnd], negative: negative) {
            return .integer(value)
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw JSONError("invalid JSON number")
        }
        return .double(value)
    }

    /// Skips one or more digits; false when there is none.
    private mutating func skipDigits() -> Bool {
        let start = index
        while index < bytes.count, bytes[index].isDigit { index += 1 }
        return index > start
    }

    private static func integer(_ digits: ArraySlice<UInt8>, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for digit in digits {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = next  // accumulated negatively so that Int64.min fits
        }
        if negative { return value }
        let (positive, overflow) = Int64(0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw JSONError("invalid JSON literal") }
        let matches = literal.withUTF8Buffer { bytes[index..<(index + count)].elementsEqual($0) }
        guard matches else { throw JSONError("invalid JSON literal") }
        index += count
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private static func makeString(_ bytes: ArraySlice<UInt8>) throws(JSONError) -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw JSONError("invalid UTF-8 in JSON string")
        }
        return string
    }
}

extension UInt8 {
    fileprivate static let openBrace = UInt8(ascii: "{")
    fileprivate static let closeBrace = UInt8(ascii: "}")
    fileprivate static let openBracket = UInt8(ascii: "[")
    fileprivate static let closeBracket = UInt8(ascii: "]")
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let backslash = UInt8(ascii: "\\")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let comma = UInt8(ascii: ",")

    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    fileprivate var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return self - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
