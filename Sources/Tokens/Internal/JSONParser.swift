import JSON

/// Builds the small JSON trees of tokens and key sets from the shared strict tokenizer (`JSON.JSONReader`).
///
/// The tokenizer refuses what a lenient parser might read differently from another (RFC 8725 §2.4): invalid
/// UTF-8, lone surrogates, control characters in strings, trailing data, a byte order mark and nesting deeper
/// than `maximumDepth`; on top of it this builder refuses duplicate member names and objects with more than
/// `maximumMembers` members.
enum JSONParser {
    static let maximumMembers = 64

    /// Parses `bytes` as exactly one JSON object.
    static func parseObject(_ bytes: [UInt8], maximumDepth: Int = 16) throws(JSONError) -> JSONObject {
        let outcome = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONError) -> JSONObject in
                var reader = JSONReader(bytes: buffer, maximumDepth: maximumDepth)
                let first = try reader.next()
                guard first.kind == .objectStart else { throw JSONError("expected a JSON object", at: first.start) }
                let object = try parseObject(&reader)
                _ = try reader.next()  // the end, or the error for trailing data
                return object
            }
        }
        return try outcome.get()
    }

    private static func parseValue(_ token: JSONToken, _ reader: inout JSONReader) throws(JSONError) -> JSONValue {
        switch token.kind {
        case .objectStart: return .object(try parseObject(&reader))
        case .arrayStart: return .array(try parseArray(&reader))
        case .string: return .string(reader.string(token))
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .null: return .null
        case .number: return number(token, reader)
        case .objectEnd, .arrayEnd, .name, .end: throw JSONError("unexpected token in JSON", at: token.start)
        }
    }

    private static func parseObject(_ reader: inout JSONReader) throws(JSONError) -> JSONObject {
        var members: [JSONObject.Member] = []
        while true {
            let token = try reader.next()
            if token.kind == .objectEnd { return JSONObject(members: members) }
            let name = reader.string(token)
            for member in members where member.name.utf8.elementsEqual(name.utf8) {
                throw JSONError("duplicate member name", at: token.start)
            }
            guard members.count < maximumMembers else {
                throw JSONError("too many members in a JSON object", at: token.start)
            }
            members.append(JSONObject.Member(name: name, value: try parseValue(try reader.next(), &reader)))
        }
    }

    private static func parseArray(_ reader: inout JSONReader) throws(JSONError) -> [JSONValue] {
        var elements: [JSONValue] = []
        while true {
            let token = try reader.next()
            if token.kind == .arrayEnd { return elements }
            elements.append(try parseValue(token, &reader))
        }
    }

    /// Integers written without fraction or exponent that fit in 64 bits stay exact; anything else is a double.
    private static func number(_ token: JSONToken, _ reader: JSONReader) -> JSONValue {
        let text = UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end])
        if !token.hasFractionOrExponent, let value = JSONNumber.integer(text).int64 { return .integer(value) }
        return .double(JSONNumber.double(text) ?? .nan)
    }
}
