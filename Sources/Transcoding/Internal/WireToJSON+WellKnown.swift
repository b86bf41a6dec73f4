import JSON

extension WireToJSON {
    /// Writes a well-known type's special JSON form.
    mutating func writeWellKnown(
        _ wellKnown: MessageSchema.WellKnown, _ messageIndex: Int, _ segments: Segments
    )
        throws(TranscodingError)
    {
        let schema = registry.messages[messageIndex]
        let base = occurrences.count
        defer { occurrences.removeSubrange(base...) }
        switch wellKnown {
        case .timestamp, .duration:
            let (seconds, nanos) = try secondsAndNanos(schema, segments)
            let valid =
                wellKnown == .timestamp
                ? TimeFormats.appendTimestamp(seconds: seconds, nanos: nanos, to: &output)
                : TimeFormats.appendDuration(seconds: seconds, nanos: nanos, to: &output)
            guard valid else { throw TranscodingError("\(schema.fullName) out of range") }
        case .fieldMask:
            try writeFieldMask(schema, segments)
        case .struct, .listValue:
            // One field each: `map<string, Value> fields = 1`, `repeated Value values = 1`.
            try writeField(schema.layouts[0], try scanned(schema, segments))
        case .value:
            try writeValue(schema, segments)
        case .any:
            try writeAny(schema, segments)
        case .empty:
            try enterContainer()
            depth -= 1
            output.appendASCII("{}")
        default:  // wrappers
            let field = schema.layouts[0]
            if let last = try scanned(schema, segments).last {
                let occurrence = occurrences[last]
                let payload = occurrence.wireType == .lengthDelimited ? Int(occurrence.value)..<occurrence.end : 0..<0
                try writeScalar(field, occurrence.value, payload: payload)
            } else if field.kind == .string || field.kind == .bytes {
                output.appendASCII("\"\"")
            } else {
                try writeScalar(field, 0, payload: 0..<0)
            }
        }
    }

    /// The occurrences of the message's fields, in wire order.
    private mutating func scanned(_ schema: MessageSchema, _ segments: Segments) throws(TranscodingError) -> Range<Int>
    {
        let base = occurrences.count
        try scanFields(schema, segments)
        return base..<occurrences.count
    }

    private mutating func secondsAndNanos(
        _ schema: MessageSchema, _ segments: Segments
    ) throws(TranscodingError)
        -> (Int64, Int32)
    {
        let base = occurrences.count
        try scanFields(schema, segments)
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        for occurrence in occurrences[base...] {
            if schema.layouts[Int(occurrence.field)].number == 1 {
                seconds = Int64(bitPattern: occurrence.value)
            } else {
                nanos = Int32(truncatingIfNeeded: occurrence.value)
            }
        }
        return (seconds, nanos)
    }

    private mutating func writeFieldMask(_ schema: MessageSchema, _ segments: Segments) throws(TranscodingError) {
        let base = occurrences.count
        try scanFields(schema, segments)
        output.append(.quote)
        for (offset, occurrence) in occurrences[base...].enumerated() {
            if offset > 0 { output.append(.comma) }
            try writeFieldMaskPath(Int(occurrence.value)..<occurrence.end)
        }
        output.append(.quote)
    }

    /// A snake_case path (names joined by dots) in lowerCamel; refused unless it converts back unchanged.
    private mutating func writeFieldMaskPath(_ range: Range<Int>) throws(TranscodingError) {
        let refusal = TranscodingError("field mask path cannot be written in JSON")
        var upperNext = false
        var segmentStart = true
        for position in range {
            let byte = wire[position]
            let isLower = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            switch byte {
            case UInt8(ascii: "_"):
                guard !upperNext, !segmentStart else { throw refusal }
                upperNext = true
            case UInt8(ascii: "."):
                guard !upperNext, !segmentStart else { throw refusal }
                segmentStart = true
                output.append(byte)
            default:
                guard isLower || (isDigit && !upperNext) else { throw refusal }
                output.append(upperNext ? byte & ~0x20 : byte)
                upperNext = false
                segmentStart = false
            }
        }
        guard !segmentStart, !upperNext else { throw refusal }
    }

    /// `google.protobuf.Value`: the last member of its `kind` oneof decides.
    private mutating func writeValue(_ schema: MessageSchema, _ segments: Segments) throws(TranscodingError) {
        let base = occurrences.count
        try scanFields(schema, segments)
        guard let lastKind = occurrences[base...].max(by: { $0.order < $1.order }) else {
            throw TranscodingError("google.protobuf.Value has no kind set")
        }
        let field = schema.layouts[Int(lastKind.field)]
        switch field.number {
        case 1: output.appendASCII("null")
        case 2:
            let value = Double(bitPattern: lastKind.value)
            guard value.isFinite else { throw TranscodingError("google.protobuf.Value cannot hold NaN or infinity") }
            writeFloatingPoint(value, float: false)
        case 5, 6:
            // A message seen twice merges: all its occurrences.
            let ranges = occurrences[base...].filter { $0.field == lastKind.field }.map { Int($0.value)..<$0.end }
            try writeMessage(field.messageIndex, ranges.count == 1 ? .one(ranges[0]) : .many(ranges))
        default:
            let payload = lastKind.wireType == .lengthDelimited ? Int(lastKind.value)..<lastKind.end : 0..<0
            try writeScalar(field, lastKind.value, payload: payload)
        }
    }

    /// `google.protobuf.Any`: `@type`, then the packed message's members, or its special form under `value`.
    private mutating func writeAny(_ schema: MessageSchema, _ segments: Segments) throws(TranscodingError) {
        let base = occurrences.count
        try scanFields(schema, segments)
        var typeURL: Range<Int>?
        var values: [Range<Int>] = []
        for occurrence in occurrences[base...] {
            let range = Int(occurrence.value)..<occurrence.end
            if schema.layouts[Int(occurrence.field)].number == 1 { typeURL = range } else { values.append(range) }
        }
        guard let typeURL, !typeURL.isEmpty else {
            guard values.allSatisfy(\.isEmpty) else { throw TranscodingError("google.protobuf.Any without a type URL") }
            try enterContainer()
            depth -= 1
            output.appendASCII("{}")
            return
        }
        let url = String(decoding: UnsafeRawBufferPointer(rebasing: wire[typeURL]), as: UTF8.self)
        guard let slash = url.lastIndex(of: "/"),
            let messageIndex = registry.messageIndex(named: String(url[url.index(after: slash)...]))
        else { throw TranscodingError("unknown message type in google.protobuf.Any") }
        try enterContainer()
        defer { depth -= 1 }
        output.append(.openBrace)
        output.appendASCII("\"@type\":")
        guard JSONOutput.appendQuoted(UnsafeRawBufferPointer(rebasing: wire[typeURL]), to: &output) else {
            throw TranscodingError("malformed protobuf: invalid UTF-8 in a string")
        }
        let packed: Segments = values.count == 1 ? .one(values[0]) : .many(values)
        if registry.messages[messageIndex].wellKnown != nil {
            output.appendASCII(",\"value\":")
            do throws(TranscodingError) {
                try writeMessage(messageIndex, packed)
            } catch {
                throw error.under("value")
            }
        } else {
            _ = try writeFields(messageIndex, packed, hasMembers: true)
        }
        output.append(.closeBrace)
    }
}
