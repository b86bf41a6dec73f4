import JSON

extension JSONToWire {
    /// Writes the fields of a well-known type from its special JSON form (no tag or length around it).
    mutating func encodeWellKnown(
        _ wellKnown: MessageSchema.WellKnown, _ messageIndex: Int, _ token: JSONToken
    )
        throws(TranscodingError)
    {
        switch wellKnown {
        case .timestamp:
            guard token.isString else { throw TranscodingError("expected an RFC 3339 timestamp string") }
            let parsed = withText(token) { TimeFormats.parseTimestamp($0) }
            guard let (seconds, nanos) = parsed else {
                throw TranscodingError("expected an RFC 3339 timestamp between years 1 and 9999")
            }
            writeSecondsAndNanos(seconds, nanos)
        case .duration:
            guard token.isString else { throw TranscodingError("expected a duration string such as \"1.5s\"") }
            let parsed = withText(token) { TimeFormats.parseDuration($0) }
            guard let (seconds, nanos) = parsed else {
                throw TranscodingError("expected a duration string such as \"1.5s\" within ±10000 years")
            }
            writeSecondsAndNanos(seconds, nanos)
        case .fieldMask:
            guard token.isString else { throw TranscodingError("expected a field mask string") }
            try encodeFieldMask(token)
        case .struct:
            guard token.isObjectStart else { throw TranscodingError("expected an object") }
            try encodeStructFields()
        case .value:
            try encodeValue(token)
        case .listValue:
            guard token.isArrayStart else { throw TranscodingError("expected an array") }
            try encodeListValues()
        case .any:
            guard token.isObjectStart else { throw TranscodingError("expected an object") }
            try encodeAny()
        case .empty:
            guard token.isObjectStart else { throw TranscodingError("expected an object") }
            try encodeFields(messageIndex, skippingTypeMember: false)
        default:  // the wrappers: the JSON value is the `value` field's
            guard !token.isNull else { throw TranscodingError("expected a value") }
            let field = registry.messages[messageIndex].layouts[0]
            let mark = output.count
            output.appendTag(field.tag)
            if try encodeScalar(field.kind, enumIndex: field.enumIndex, token) { output.removeSubrange(mark...) }
        }
    }

    private mutating func writeSecondsAndNanos(_ seconds: Int64, _ nanos: Int32) {
        if seconds != 0 {
            output.append(0x08)
            output.appendVarint(UInt64(bitPattern: seconds))
        }
        if nanos != 0 {
            output.append(0x10)
            output.appendVarint(UInt64(bitPattern: Int64(nanos)))
        }
    }

    private mutating func encodeFieldMask(_ token: JSONToken) throws(TranscodingError) {
        let text = withText(token) { Array($0) }
        guard !text.isEmpty else { return }
        for path in text.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            // lowerCamel names joined by dots: what converts to snake_case paths and back unchanged.
            let valid = path.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { name in
                guard let first = name.first, !(first >= 0x41 && first <= 0x5A) else { return false }
                return name.allSatisfy { ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
            }
            guard valid else { throw TranscodingError("expected lowerCamel field mask paths separated by commas") }
            var snake: [UInt8] = []
            for byte in path {
                if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
                    snake.append(UInt8(ascii: "_"))
                    snake.append(byte | 0x20)
                } else {
                    snake.append(byte)
                }
            }
            output.append(0x0A)
            output.appendVarint(UInt64(snake.count))
            output.append(contentsOf: snake)
        }
    }

    /// `google.protobuf.Struct`: each member is an entry of `map<string, Value> fields = 1`.
    private mutating func encodeStructFields() throws(TranscodingError) {
        var keys = MapKeySet()
        var entryCount = 0
        while true {
            let name = try next()
            if name.isObjectEnd { return }
            do throws(TranscodingError) {
                output.append(0x0A)
                let start = output.beginLength()
                output.append(0x0A)
                try writeString(name)
                let keyLength = output.count - start
                output.append(0x12)
                let valueStart = output.beginLength()
                try encodeValue(try next())
                output.endLength(valueStart)
                let payloadLength = output.count - start
                output.endLength(start)
                let keyStart = output.count - payloadLength
                let earlier = keys.insert(output.bytes, start: keyStart, count: keyLength, entry: entryCount)
                guard earlier == nil else { throw TranscodingError("duplicate field") }
                entryCount += 1
            } catch {
                throw error.under(reader.string(name))
            }
        }
    }

    /// `google.protobuf.Value`: any JSON value, into the member of its `kind` oneof.
    private mutating func encodeValue(_ token: JSONToken) throws(TranscodingError) {
        switch token.kind {
        case .null:
            output.append(0x08)
            output.append(0)
        case .number:
            guard
                let value = JSONNumber.double(UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end])),
                value.isFinite
            else { throw TranscodingError("number out of range for double") }
            output.append(0x11)
            output.appendFixed64(value.bitPattern)
        case .string:
            output.append(0x1A)
            try writeString(token)
        case .true, .false:
            output.append(0x20)
            output.append(token.kind == .true ? 1 : 0)
        case .objectStart:
            output.append(0x2A)
            let start = output.beginLength()
            try encodeStructFields()
            output.endLength(start)
        case .arrayStart:
            output.append(0x32)
            let start = output.beginLength()
            try encodeListValues()
            output.endLength(start)
        case .objectEnd, .arrayEnd, .name, .end:
            throw TranscodingError("expected a value")
        }
    }

    /// `google.protobuf.ListValue`: each element is a `Value` of `repeated Value values = 1`.
    private mutating func encodeListValues() throws(TranscodingError) {
        var index = 0
        while true {
            let token = try next()
            if token.isArrayEnd { return }
            do throws(TranscodingError) {
                output.append(0x0A)
                let start = output.beginLength()
                try encodeValue(token)
                output.endLength(start)
            } catch {
                throw error.under(index)
            }
            index += 1
        }
    }

    /// `google.protobuf.Any`: `@type` names the packed message (found first, wherever it is among the members);
    /// a well-known type's JSON sits under `value`, any other message's fields sit beside `@type`.
    private mutating func encodeAny() throws(TranscodingError) {
        let start = reader
        var typeURL: JSONToken?
        var memberCount = 0
        while true {
            let name = try next()
            if name.isObjectEnd { break }
            memberCount += 1
            let value = try next()
            if reader.text(of: name, equals: "@type") {
                guard typeURL == nil else { throw TranscodingError("duplicate field").under("@type") }
                guard value.isString else { throw TranscodingError("expected a type URL").under("@type") }
                typeURL = value
            } else {
                do {
                    try reader.skipValue(startingWith: value)
                } catch {
                    throw TranscodingError(error.message)
                }
            }
        }
        guard let typeURL else {
            if memberCount == 0 { return }
            throw TranscodingError("missing @type")
        }
        reader = start
        let url = reader.string(typeURL)
        guard let slash = url.lastIndex(of: "/"),
            let messageIndex = registry.messageIndex(named: String(url[url.index(after: slash)...]))
        else {
            throw TranscodingError("unknown message type in @type").under("@type")
        }
        output.append(0x0A)
        try writeString(typeURL)
        output.append(0x12)
        let valueStart = output.beginLength()
        if registry.messages[messageIndex].wellKnown != nil {
            var sawValue = false
            while true {
                let name = try next()
                if name.isObjectEnd { break }
                let value = try next()
                if reader.text(of: name, equals: "@type") { continue }
                guard reader.text(of: name, equals: "value"), !sawValue else {
                    throw TranscodingError("unknown field").under(reader.string(name))
                }
                sawValue = true
                do throws(TranscodingError) {
                    try encodeMessageValue(messageIndex, value)
                } catch {
                    throw error.under("value")
                }
            }
            guard sawValue else { throw TranscodingError("missing value for a well-known type in Any") }
        } else {
            try encodeFields(messageIndex, skippingTypeMember: true)
        }
        if output.count == valueStart {
            output.removeSubrange((valueStart - 2)...)
        } else {
            output.endLength(valueStart)
        }
    }
}
