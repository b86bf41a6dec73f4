import JSON

extension WireToJSON {
    /// Writes the value of a field from its occurrences (none when a default is being emitted).
    mutating func writeField(_ field: FieldLayout, _ found: Range<Int>) throws(TranscodingError) {
        switch field.cardinality {
        case .map:
            try writeMap(field, found)
        case .repeated:
            try enterContainer()
            defer { depth -= 1 }
            output.append(.openBracket)
            var count = 0
            for position in found {
                let occurrence = occurrences[position]
                if field.kind.isPackable, occurrence.wireType == .lengthDelimited {
                    var cursor = Int(occurrence.value)
                    while cursor < occurrence.end {
                        if count > 0 { output.append(.comma) }
                        do throws(TranscodingError) {
                            let value = try Self.readPacked(wire, field.kind.wireType, &cursor, occurrence.end)
                            try writeScalar(field, value, payload: 0..<0)
                        } catch {
                            throw error.under(count)
                        }
                        count += 1
                    }
                    continue
                }
                if count > 0 { output.append(.comma) }
                do throws(TranscodingError) {
                    try writeSingular(field, occurrence)
                } catch {
                    throw error.under(count)
                }
                count += 1
            }
            output.append(.closeBracket)
        case .implicit, .explicit:
            guard let last = found.last else {
                try writeDefault(field)
                return
            }
            if field.kind == .message, found.count > 1 {
                let ranges = found.map { Int(occurrences[$0].value)..<occurrences[$0].end }
                try writeMessage(field.messageIndex, .many(ranges))
                return
            }
            try writeSingular(field, occurrences[last])
        }
    }

    private mutating func writeSingular(_ field: FieldLayout, _ occurrence: Occurrence) throws(TranscodingError) {
        if field.kind == .message {
            try writeMessage(field.messageIndex, .one(Int(occurrence.value)..<occurrence.end))
            return
        }
        let payload = occurrence.wireType == .lengthDelimited ? Int(occurrence.value)..<occurrence.end : 0..<0
        try writeScalar(field, occurrence.value, payload: payload)
    }

    private static func readPacked(
        _ wire: UnsafeRawBufferPointer, _ wireType: WireType, _ cursor: inout Int, _ end: Int
    ) throws(TranscodingError) -> UInt64 {
        switch wireType {
        case .fixed64:
            guard end - cursor >= 8 else { throw TranscodingError("malformed protobuf: truncated packed field") }
            defer { cursor += 8 }
            return UInt64(littleEndian: wire.loadUnaligned(fromByteOffset: cursor, as: UInt64.self))
        case .fixed32:
            guard end - cursor >= 4 else { throw TranscodingError("malformed protobuf: truncated packed field") }
            defer { cursor += 4 }
            return UInt64(UInt32(littleEndian: wire.loadUnaligned(fromByteOffset: cursor, as: UInt32.self)))
        default:
            return try readVarint(wire, &cursor, end)
        }
    }

    /// Writes a field's default value (for `emitDefaultValues`).
    private mutating func writeDefault(_ field: FieldLayout) throws(TranscodingError) {
        switch field.kind {
        case .string, .bytes: output.appendASCII("\"\"")
        case .message, .group: output.appendASCII("null")
        default: try writeScalar(field, 0, payload: 0..<0)
        }
    }

    /// Writes one scalar value: `value` for numeric kinds, `payload` for strings and bytes.
    mutating func writeScalar(_ field: FieldLayout, _ value: UInt64, payload: Range<Int>) throws(TranscodingError) {
        switch field.kind {
        case .int32: JSONOutput.appendDecimal(Int64(Int32(truncatingIfNeeded: value)), to: &output)
        case .sint32: JSONOutput.appendDecimal(Int64(ZigZag.decode32(value)), to: &output)
        case .sfixed32:
            JSONOutput.appendDecimal(Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: value))), to: &output)
        case .uint32, .fixed32: JSONOutput.appendDecimal(UInt64(UInt32(truncatingIfNeeded: value)), to: &output)
        case .int64, .sfixed64: writeInt64(Int64(bitPattern: value))
        case .sint64: writeInt64(ZigZag.decode(value))
        case .uint64, .fixed64:
            let quoted = !(options.int64AsNumberWhenSafe && value <= 9_007_199_254_740_991)
            if quoted { output.append(.quote) }
            JSONOutput.appendDecimal(value, to: &output)
            if quoted { output.append(.quote) }
        case .bool:
            if value != 0 { output.appendASCII("true") } else { output.appendASCII("false") }
        case .float: writeFloatingPoint(Double(Float(bitPattern: UInt32(truncatingIfNeeded: value))), float: true)
        case .double: writeFloatingPoint(Double(bitPattern: value), float: false)
        case .enum: writeEnum(field.enumIndex, Int32(truncatingIfNeeded: value))
        case .string:
            guard JSONOutput.appendQuoted(UnsafeRawBufferPointer(rebasing: wire[payload]), to: &output) else {
                throw TranscodingError("malformed protobuf: invalid UTF-8 in a string")
            }
        case .bytes:
            Base64.append(UnsafeRawBufferPointer(rebasing: wire[payload]), to: &output)
        case .message, .group:
            throw TranscodingError("malformed protobuf: expected a message")
        }
    }

    mutating func writeInt64(_ value: Int64) {
        let quoted = !(options.int64AsNumberWhenSafe && value.magnitude <= 9_007_199_254_740_991)
        if quoted { output.append(.quote) }
        JSONOutput.appendDecimal(value, to: &output)
        if quoted { output.append(.quote) }
    }

    mutating func writeFloatingPoint(_ value: Double, float: Bool) {
        if value.isNaN {
            output.appendASCII("\"NaN\"")
        } else if value.isInfinite {
            if value < 0 { output.appendASCII("\"-Infinity\"") } else { output.appendASCII("\"Infinity\"") }
        } else if float {
            output.append(contentsOf: Float(value).description.utf8)
        } else {
            output.append(contentsOf: value.description.utf8)
        }
    }

    private mutating func writeEnum(_ enumIndex: Int, _ number: Int32) {
        let schema = registry.enums[enumIndex]
        if schema.fullName == "google.protobuf.NullValue" {
            output.appendASCII("null")
            return
        }
        guard let value = schema.value(for: number) else {
            JSONOutput.appendDecimal(Int64(number), to: &output)
            return
        }
        output.append(contentsOf: options.outputEnumNames == .proto ? value.quotedName : value.quotedShortName)
    }

    // MARK: - Maps

    mutating func writeMap(_ field: FieldLayout, _ found: Range<Int>) throws(TranscodingError) {
        let entry = registry.messages[field.messageIndex]
        let keyField = entry.layouts[0]
        let valueField = entry.layouts[1]
        // Which entries a later entry with the same key overrides (last wins): one pass over the entries finds
        // them, a second one writes the others.
        var keys = MapKeySet()
        var overridden = FieldSet(count: found.count)
        for (offset, position) in found.enumerated() {
            let key = try Self.mapEntry(occurrences[position], in: wire, keyField: keyField, valueField: valueField).key
            if let earlier = Self.insertKey(key, in: wire, of: keyField, entry: offset, into: &keys) {
                _ = overridden.insert(earlier)
            }
        }
        try enterContainer()
        defer { depth -= 1 }
        output.append(.openBrace)
        var first = true
        for (offset, position) in found.enumerated() where overridden.insert(offset) {
            let pair = try Self.mapEntry(occurrences[position], in: wire, keyField: keyField, valueField: valueField)
            if !first { output.append(.comma) }
            first = false
            let keyStart = output.count
            try writeMapKey(keyField, pair.key)
            output.append(.colon)
            do throws(TranscodingError) {
                if let value = pair.value {
                    try writeSingularValue(valueField, value)
                } else if valueField.kind == .message {
                    try writeMessage(valueField.messageIndex, .one(0..<0))
                } else {
                    try writeDefault(valueField)
                }
            } catch {
                let key = String(decoding: UnsafeRawBufferPointer(rebasing: output.bytes[keyStart...]), as: UTF8.self)
                throw error.under(key.trimmingQuotes())
            }
        }
        output.append(.closeBrace)
    }

    private mutating func writeSingularValue(_ field: FieldLayout, _ occurrence: Occurrence) throws(TranscodingError) {
        if field.kind == .message {
            try writeMessage(field.messageIndex, .one(Int(occurrence.value)..<occurrence.end))
        } else {
            let payload = occurrence.wireType == .lengthDelimited ? Int(occurrence.value)..<occurrence.end : 0..<0
            try writeScalar(field, occurrence.value, payload: payload)
        }
    }

    /// The last key and value of one map entry (static: reading the input needs no copy of the encoder).
    private static func mapEntry(
        _ occurrence: Occurrence, in wire: UnsafeRawBufferPointer, keyField: FieldLayout, valueField: FieldLayout
    )
        throws(TranscodingError) -> (key: Occurrence?, value: Occurrence?)
    {
        var position = Int(occurrence.value)
        let end = occurrence.end
        var key: Occurrence?
        var value: Occurrence?
        while position < end {
            let tag = try readVarint(wire, &position, end)
            guard let wireType = WireType(rawValue: UInt8(tag & 7)), tag >> 3 > 0 else {
                throw TranscodingError("malformed protobuf: invalid tag")
            }
            var found = Occurrence(field: 0, order: 0, wireType: wireType, value: 0, end: 0)
            switch wireType {
            case .varint: found.value = try readVarint(wire, &position, end)
            case .fixed64, .fixed32:
                let size = wireType == .fixed64 ? 8 : 4
                guard end - position >= size else { throw TranscodingError("malformed protobuf: truncated") }
                found.value =
                    size == 8
                    ? UInt64(littleEndian: wire.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                    : UInt64(UInt32(littleEndian: wire.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
                position += size
            case .lengthDelimited:
                let length = try readVarint(wire, &position, end)
                guard length <= UInt64(end - position) else { throw TranscodingError("malformed protobuf: truncated") }
                found.value = UInt64(position)
                position += Int(length)
                found.end = position
            case .startGroup, .endGroup:
                throw TranscodingError("malformed protobuf: group in a map entry")
            }
            switch tag >> 3 {
            case 1:
                guard wireType == keyField.kind.wireType else {
                    throw TranscodingError("malformed protobuf: wrong wire type for a map key")
                }
                key = found
            case 2:
                guard wireType == valueField.kind.wireType else {
                    throw TranscodingError("malformed protobuf: wrong wire type for a map value")
                }
                value = found
            default: continue
            }
        }
        return (key, value)
    }

    /// Records a map entry's key (absent means the default: "", 0 or false); returns the entry of an equal key
    /// seen before. Integer keys compare by value in their type's width, so every encoding of one key is one key.
    private static func insertKey(
        _ key: Occurrence?, in wire: UnsafeRawBufferPointer, of keyField: FieldLayout, entry: Int,
        into keys: inout MapKeySet
    ) -> Int? {
        if keyField.kind == .string {
            let start = key.map { Int($0.value) } ?? 0
            return keys.insert(wire, start: start, count: (key?.end ?? 0) - start, entry: entry)
        }
        let value = key?.value ?? 0
        switch keyField.kind {
        case .bool: return keys.insert(value: value == 0 ? 0 : 1, entry: entry)
        case .int32, .sint32, .uint32, .fixed32, .sfixed32:
            return keys.insert(value: UInt64(UInt32(truncatingIfNeeded: value)), entry: entry)
        default: return keys.insert(value: value, entry: entry)
        }
    }

    private mutating func writeMapKey(_ keyField: FieldLayout, _ key: Occurrence?) throws(TranscodingError) {
        let value = key?.value ?? 0
        switch keyField.kind {
        case .string:
            let payload = key.map { Int($0.value)..<$0.end } ?? 0..<0
            try writeScalar(keyField, value, payload: payload)
        case .bool:
            if value != 0 { output.appendASCII("\"true\"") } else { output.appendASCII("\"false\"") }
        default:
            output.append(.quote)
            switch keyField.kind {
            case .int64, .sfixed64: JSONOutput.appendDecimal(Int64(bitPattern: value), to: &output)
            case .sint64: JSONOutput.appendDecimal(ZigZag.decode(value), to: &output)
            case .uint64, .fixed64: JSONOutput.appendDecimal(value, to: &output)
            default: try writeScalar(keyField, value, payload: 0..<0)
            }
            output.append(.quote)
        }
    }
}

extension String {
    fileprivate func trimmingQuotes() -> String {
        guard count >= 2, first == "\"", last == "\"" else { return self }
        return String(dropFirst().dropLast())
    }
}
