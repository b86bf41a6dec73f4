/// One `google.api.http` binding (the rule itself or one of its `additional_bindings`), read from a method's
/// options without generated code: the extension (field 72295728 of MethodOptions) is decoded from its wire bytes.
package struct HTTPRule: Sendable, Equatable {
    package var method: String
    package var pattern: String
    /// `*`, a top-level field name, or empty (no body).
    package var body: String
    /// A top-level field of the response to answer with instead of the whole message, or empty.
    package var responseBody: String
    package var additionalBindings: [HTTPRule]

    static let extensionNumber: UInt64 = 72_295_728

    /// The rules found in serialized MethodOptions bytes (usually zero or one).
    static func rules(inMethodOptions bytes: [UInt8]) throws(DescriptorError) -> [HTTPRule] {
        var reader = RuleReader(bytes: bytes[...])
        var rules: [HTTPRule] = []
        while let (number, payload) = try reader.nextField() {
            if number == extensionNumber, let payload { rules.append(try parse(payload, depth: 0)) }
        }
        return rules
    }

    private static func parse(_ bytes: ArraySlice<UInt8>, depth: Int) throws(DescriptorError) -> HTTPRule {
        var rule = HTTPRule(method: "", pattern: "", body: "", responseBody: "", additionalBindings: [])
        var reader = RuleReader(bytes: bytes)
        while let (number, payload) = try reader.nextField() {
            guard let payload else { continue }
            let text = String(decoding: payload, as: UTF8.self)
            switch number {
            case 2: (rule.method, rule.pattern) = ("GET", text)
            case 3: (rule.method, rule.pattern) = ("PUT", text)
            case 4: (rule.method, rule.pattern) = ("POST", text)
            case 5: (rule.method, rule.pattern) = ("DELETE", text)
            case 6: (rule.method, rule.pattern) = ("PATCH", text)
            case 7: rule.body = text
            case 8:
                var custom = RuleReader(bytes: payload)
                while let (customNumber, customPayload) = try custom.nextField() {
                    guard let customPayload else { continue }
                    let value = String(decoding: customPayload, as: UTF8.self)
                    if customNumber == 1 { rule.method = value } else if customNumber == 2 { rule.pattern = value }
                }
            case 11:
                guard depth == 0 else { throw DescriptorError("additional_bindings may not nest") }
                rule.additionalBindings.append(try parse(payload, depth: 1))
            case 12: rule.responseBody = text
            default: continue
            }
        }
        return rule
    }
}

/// Reads the fields of a small message: length-delimited payloads are returned, other values skipped.
private struct RuleReader {
    var bytes: ArraySlice<UInt8>

    mutating func nextField() throws(DescriptorError) -> (UInt64, ArraySlice<UInt8>?)? {
        guard !bytes.isEmpty else { return nil }
        let tag = try varint()
        switch tag & 7 {
        case 0: _ = try varint()
        case 1: try skip(8)
        case 5: try skip(4)
        case 2:
            let length = Int(try varint())
            guard length <= bytes.count else { throw DescriptorError("malformed method options") }
            let payload = bytes.prefix(length)
            bytes = bytes.dropFirst(length)
            return (tag >> 3, payload)
        default: throw DescriptorError("malformed method options")
        }
        return (tag >> 3, nil)
    }

    private mutating func skip(_ count: Int) throws(DescriptorError) {
        guard bytes.count >= count else { throw DescriptorError("malformed method options") }
        bytes = bytes.dropFirst(count)
    }

    private mutating func varint() throws(DescriptorError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            guard shift < 64 else { throw DescriptorError("malformed method options") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw DescriptorError("malformed method options")
    }
}
