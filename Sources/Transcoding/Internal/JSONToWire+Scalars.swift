import JSON

extension JSONToWire {
    /// Writes one scalar value (no tag) of `kind` from `token`; returns whether it is the default value.
    mutating func encodeScalar(
        _ kind: FieldSchema.Kind, enumIndex: Int, _ token: JSONToken
    ) throws(TranscodingError)
        -> Bool
    {
        switch kind {
        case .string:
            guard token.isString else { throw TranscodingError("expected a string") }
            try writeString(token)
            return token.start == token.end
        case .bytes:
            guard token.isString else { throw TranscodingError("expected a base64 string") }
            return try writeBytes(token)
        case .bool:
            switch token.kind {
            case .true: output.append(1); return false
            case .false: output.append(0); return true
            default: throw TranscodingError("expected a boolean")
            }
        case .float, .double:
            return try writeFloatingPoint(kind, token)
        case .enum:
            return try writeEnum(enumIndex, token)
        case .message, .group:
            throw TranscodingError("expected a scalar")
        default:
            let parsed: JSONNumber.Integer
            switch token.kind {
            case .number:
                parsed = Self.integer(UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end]))
            case .string:
                parsed = withText(token) { Self.integer($0) }
            default:
                throw TranscodingError("expected an integer")
            }
            return try writeInteger(kind, parsed, allowFraction: false)
        }
    }

    /// `JSONNumber.integer`, with plain decimal integers of up to 18 digits (an optional minus, no leading zero, no
    /// fraction or exponent: what encoders write) read inline; anything else goes to the exact general parser.
    @inline(__always)
    static func integer(_ text: UnsafeRawBufferPointer) -> JSONNumber.Integer {
        let count = text.count
        let negative = count > 0 && text[0] == UInt8(ascii: "-")
        var index = negative ? 1 : 0
        let digits = count - index
        guard digits >= 1, digits <= 18, digits == 1 || text[index] != UInt8(ascii: "0") else {
            return JSONNumber.integer(text)
        }
        var magnitude: UInt64 = 0
        while index < count {
            let digit = text[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return JSONNumber.integer(text) }
            magnitude = magnitude &* 10 &+ UInt64(digit)
            index += 1
        }
        return .value(negative: negative, magnitude: magnitude)
    }

    /// Writes an integer of `kind`, range-checked; returns whether it is zero.
    @discardableResult
    mutating func writeInteger(
        _ kind: FieldSchema.Kind, _ parsed: JSONNumber.Integer, allowFraction: Bool
    )
        throws(TranscodingError) -> Bool
    {
        switch parsed {
        case .notANumber: throw TranscodingError("expected an integer")
        case .fraction: throw TranscodingError("expected an integer, not a fraction")
        case .outOfRange: throw TranscodingError("integer out of range")
        case .value: break
        }
        switch kind {
        case .int32, .sint32, .sfixed32, .enum:
            guard let wide = parsed.asInt64, let value = Int32(exactly: wide) else {
                throw TranscodingError("integer out of range for int32")
            }
            switch kind {
            case .sint32: output.appendVarint(ZigZag.encode(value))
            case .sfixed32: output.appendFixed32(UInt32(bitPattern: value))
            default: output.appendVarint(UInt64(bitPattern: Int64(value)))
            }
            return value == 0
        case .uint32, .fixed32:
            guard let wide = parsed.asUInt64, let value = UInt32(exactly: wide) else {
                throw TranscodingError("integer out of range for uint32")
            }
            if kind == .fixed32 { output.appendFixed32(value) } else { output.appendVarint(UInt64(value)) }
            return value == 0
        case .int64, .sint64, .sfixed64:
            guard let value = parsed.asInt64 else { throw TranscodingError("integer out of range for int64") }
            switch kind {
            case .sint64: output.appendVarint(ZigZag.encode(value))
            case .sfixed64: output.appendFixed64(UInt64(bitPattern: value))
            default: output.appendVarint(UInt64(bitPattern: value))
            }
            return value == 0
        case .uint64, .fixed64:
            guard let value = parsed.asUInt64 else { throw TranscodingError("integer out of range for uint64") }
            if kind == .fixed64 { output.appendFixed64(value) } else { output.appendVarint(value) }
            return value == 0
        default:
            throw TranscodingError("expected an integer")
        }
    }

    /// Writes a string's length and unescaped UTF-8 (already validated by the tokenizer).
    mutating func writeString(_ token: JSONToken) throws(TranscodingError) {
        if !token.isEscaped {
            output.appendVarint(UInt64(token.end - token.start))
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end]))
            return
        }
        scratch.removeAll(keepingCapacity: true)
        reader.appendUnescaped(token, to: &scratch)
        output.appendVarint(UInt64(scratch.count))
        output.append(contentsOf: scratch)
    }

    private mutating func writeFloatingPoint(
        _ kind: FieldSchema.Kind, _ token: JSONToken
    ) throws(TranscodingError)
        -> Bool
    {
        let value: Double
        switch token.kind {
        case .number:
            value = JSONNumber.double(UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end])) ?? .nan
            if value.isInfinite { throw TranscodingError("number out of range for double") }
        case .string:
            if reader.text(of: token, equals: "NaN") {
                value = .nan
            } else if reader.text(of: token, equals: "Infinity") {
                value = .infinity
            } else if reader.text(of: token, equals: "-Infinity") {
                value = -.infinity
            } else {
                guard let parsed = withText(token, { JSONNumber.double($0) }) else {
                    throw TranscodingError("expected a number")
                }
                if parsed.isInfinite { throw TranscodingError("number out of range for double") }
                value = parsed
            }
        default:
            throw TranscodingError("expected a number")
        }
        if kind == .float {
            let single = Float(value)
            if single.isInfinite, value.isFinite { throw TranscodingError("number out of range for float") }
            output.appendFixed32(single.bitPattern)
            return single.bitPattern == 0
        }
        output.appendFixed64(value.bitPattern)
        return value.bitPattern == 0
    }

    private mutating func writeEnum(_ enumIndex: Int, _ token: JSONToken) throws(TranscodingError) -> Bool {
        let schema = registry.enums[enumIndex]
        let number: Int32
        switch token.kind {
        case .string:
            let acceptShort = options.acceptShortEnumNames
            let found = withText(token) { name in
                schema.value(named: name) ?? (acceptShort ? schema.value(shortNamed: name) : nil)
            }
            guard let found else { throw TranscodingError("unknown value for enum \(schema.fullName)") }
            number = found
        case .number:
            let parsed = JSONNumber.integer(UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end]))
            guard let wide = parsed.int64, let value = Int32(exactly: wide) else {
                throw TranscodingError("expected an enum value of \(schema.fullName)")
            }
            number = value
        case .null where schema.fullName == "google.protobuf.NullValue":
            number = 0
        default:
            throw TranscodingError("expected an enum value of \(schema.fullName)")
        }
        output.appendVarint(UInt64(bitPattern: Int64(number)))
        return number == 0
    }

    /// Decodes base64 (standard or URL alphabet, padding optional) into a length-prefixed value.
    private mutating func writeBytes(_ token: JSONToken) throws(TranscodingError) -> Bool {
        if token.isEscaped {
            scratch.removeAll(keepingCapacity: true)
            reader.appendUnescaped(token, to: &scratch)
            // The writer is a view, so the text is copied out of `scratch` (part of self) before writing.
            let text = scratch
            let outcome = text.withUnsafeBytes { text in
                Result { () throws(TranscodingError) -> Bool in try Self.decodeBase64(text, into: &output) }
            }
            return try outcome.get()
        }
        return try Self.decodeBase64(
            UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end]), into: &output)
    }

    static func decodeBase64(
        _ text: UnsafeRawBufferPointer, into output: inout ByteWriter
    ) throws(TranscodingError)
        -> Bool
    {
        var length = text.count
        if length > 0, text[length - 1] == UInt8(ascii: "=") {
            guard length % 4 == 0 else { throw TranscodingError("invalid base64") }
            length -= 1
            if text[length - 1] == UInt8(ascii: "=") { length -= 1 }
        }
        guard length % 4 != 1 else { throw TranscodingError("invalid base64") }
        let decodedCount = length / 4 * 3 + (length % 4 == 0 ? 0 : length % 4 - 1)
        output.appendVarint(UInt64(decodedCount))
        var accumulator: UInt32 = 0
        var bits = 0
        for index in 0..<length {
            let value = base64Value(text[index])
            guard value < 64 else { throw TranscodingError("invalid base64") }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero (a canonical encoding).
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { throw TranscodingError("invalid base64") }
        return decodedCount == 0
    }

    @inline(__always)
    private static func base64Value(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: 255
        }
    }
}
