import JSON

/// Reads protobuf wire bytes and writes the JSON of the message they encode, driven by the descriptors.
///
/// Each message is scanned once into a list of field occurrences (offsets into the input, kept in one reused
/// array), then written in field-number order with protobuf's merge rules: the last value of a singular field
/// wins, repeated fields take packed and unpacked runs alike, a later oneof member replaces an earlier one, a
/// message seen twice is the merge of both, and a map key seen twice keeps its last value. Malformed input
/// (truncation, bad varints, wrong wire types, invalid UTF-8 in strings, nesting too deep) is an error.
struct WireToJSON {
    /// One occurrence of a known field in the message being written.
    struct Occurrence {
        var field: Int32
        var order: Int32
        var wireType: WireType
        /// The varint or fixed value, or for length-delimited values the payload's start.
        var value: UInt64
        /// For length-delimited values, the payload's end.
        var end: Int
    }

    /// The input ranges of a message: one, or several when a singular message field occurs more than once.
    enum Segments {
        case one(Range<Int>)
        case many([Range<Int>])
    }

    let registry: DescriptorRegistry
    let options: TranscodingOptions
    let wire: UnsafeRawBufferPointer
    var output: ByteWriter
    var occurrences: [Occurrence] = []
    /// JSON objects and arrays open around the value being written, bounded like JSON input (so that what is
    /// written can be read back): a `Value` adds none of its own, a repeated field or map adds one.
    var depth = 0

    init(registry: DescriptorRegistry, options: TranscodingOptions, wire: UnsafeRawBufferPointer, output: ByteWriter) {
        self.registry = registry
        self.options = options
        self.wire = wire
        self.output = output
        // 24 occurrences (800 bytes with the header) stay within malloc's per-thread cache (up to
        // 1,032 bytes); 64 took its slow path on every message, ~1,700 instructions. Larger
        // messages grow the array once.
        occurrences.reserveCapacity(24)
    }

    // MARK: - Messages

    /// Writes the JSON of a message (its object, or a well-known type's special form).
    mutating func writeMessage(_ messageIndex: Int, _ segments: Segments) throws(TranscodingError) {
        if let wellKnown = registry.messages[messageIndex].wellKnown {
            try writeWellKnown(wellKnown, messageIndex, segments)
            return
        }
        try enterContainer()
        defer { depth -= 1 }
        output.append(.openBrace)
        _ = try writeFields(messageIndex, segments, hasMembers: false)
        output.append(.closeBrace)
    }

    /// Counts one more open JSON container; the caller decrements `depth` when it closes.
    mutating func enterContainer() throws(TranscodingError) {
        depth += 1
        guard depth <= options.maximumDepth else {
            depth -= 1
            throw TranscodingError("message nested too deeply")
        }
    }

    /// Writes the members of a message (no braces); returns whether any member was written.
    mutating func writeFields(
        _ messageIndex: Int, _ segments: Segments, hasMembers: Bool
    ) throws(TranscodingError)
        -> Bool
    {
        let schema = registry.messages[messageIndex]
        let base = occurrences.count
        defer { occurrences.removeSubrange(base...) }
        try scanFields(schema, segments)
        sortOccurrences(from: base)
        var wroteMember = hasMembers
        var cursor = base
        let end = occurrences.count
        let fieldNames = options.outputFieldNames
        for (index, field) in schema.layouts.enumerated() {
            let first = cursor
            while cursor < end, occurrences[cursor].field == Int32(index) { cursor += 1 }
            let found = first..<cursor
            if found.isEmpty {
                guard options.emitDefaultValues, field.cardinality == .implicit || field.isRepeated else { continue }
            } else if field.oneofIndex >= 0, !isOneofWinner(field.oneofIndex, schema, found, base: base, end: end) {
                continue
            } else if field.cardinality == .implicit, !options.emitDefaultValues,
                Self.isDefault(field, occurrences[found.upperBound - 1])
            {
                continue
            }
            if wroteMember { output.append(.comma) }
            wroteMember = true
            let name = fieldNames == .proto ? field.quotedProtoName : field.quotedJSONName
            schema.quotedNames.withUnsafeBytes { names in
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: names[Int(name.start)..<Int(name.end)]))
            }
            do throws(TranscodingError) {
                try writeField(field, found)
            } catch {
                throw error.under(fieldNames == .proto ? schema.fields[index].protoName : schema.fields[index].jsonName)
            }
        }
        return wroteMember
    }

    /// Whether the last occurrence of a oneof's members belongs to the field occurring at `found`.
    private func isOneofWinner(_ oneof: Int, _ schema: MessageSchema, _ found: Range<Int>, base: Int, end: Int) -> Bool
    {
        let order = occurrences[found.upperBound - 1].order
        for other in occurrences[base..<end]
        where other.order > order && schema.layouts[Int(other.field)].oneofIndex == oneof {
            return false
        }
        return true
    }

    private static func isDefault(_ field: FieldLayout, _ occurrence: Occurrence) -> Bool {
        switch occurrence.wireType {
        case .lengthDelimited: return occurrence.end == Int(occurrence.value)
        case .varint where field.kind == .int32 || field.kind == .enum || field.kind == .sint32:
            return UInt32(truncatingIfNeeded: occurrence.value) == 0
        case .varint where field.kind == .uint32 || field.kind == .bool:
            return field.kind == .bool ? occurrence.value == 0 : UInt32(truncatingIfNeeded: occurrence.value) == 0
        default: return occurrence.value == 0
        }
    }

    /// Records every known field's occurrences in `segments`, checking the wire structure.
    mutating func scanFields(_ schema: MessageSchema, _ segments: Segments) throws(TranscodingError) {
        switch segments {
        case .one(let range): try scan(schema, range)
        case .many(let ranges): for range in ranges { try scan(schema, range) }
        }
    }

    private mutating func scan(_ schema: MessageSchema, _ range: Range<Int>) throws(TranscodingError) {
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let tag = try readVarint(&position, end)
            guard tag >> 3 > 0, tag >> 3 < 1 << 29, let wireType = WireType(rawValue: UInt8(tag & 7)) else {
                throw TranscodingError("malformed protobuf: invalid tag")
            }
            let number = UInt32(tag >> 3)
            var value: UInt64 = 0
            var payloadEnd = 0
            switch wireType {
            case .varint:
                value = try readVarint(&position, end)
            case .fixed64:
                guard end - position >= 8 else { throw TranscodingError("malformed protobuf: truncated") }
                value = UInt64(littleEndian: wire.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                position += 8
            case .fixed32:
                guard end - position >= 4 else { throw TranscodingError("malformed protobuf: truncated") }
                value = UInt64(UInt32(littleEndian: wire.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
                position += 4
            case .lengthDelimited:
                let length = try readVarint(&position, end)
                guard length <= UInt64(end - position) else { throw TranscodingError("malformed protobuf: truncated") }
                value = UInt64(position)
                position += Int(length)
                payloadEnd = position
            case .startGroup:
                try skipGroup(number, &position, end)
                if schema.fieldIndex(number: number) != nil {
                    throw TranscodingError("groups are not supported in JSON")
                }
                continue
            case .endGroup:
                throw TranscodingError("malformed protobuf: unexpected end of group")
            }
            guard let index = schema.fieldIndex(number: number) else { continue }
            // The field's kind and cardinality only: copying the whole field schema would retain its names.
            let kind = schema.layouts[index].kind
            guard
                wireType == kind.wireType
                    || (schema.layouts[index].cardinality == .repeated && kind.isPackable
                        && wireType == .lengthDelimited)
            else {
                let name = schema.fields[index].protoName
                throw TranscodingError("malformed protobuf: wrong wire type for field \(name)")
            }
            occurrences.append(
                Occurrence(
                    field: Int32(index), order: Int32(truncatingIfNeeded: occurrences.count), wireType: wireType,
                    value: value, end: payloadEnd))
        }
    }

    /// Skips a group's fields up to its end-group tag.
    private func skipGroup(_ number: UInt32, _ position: inout Int, _ end: Int) throws(TranscodingError) {
        var nesting: [UInt32] = [number]
        while let open = nesting.last {
            guard nesting.count <= options.maximumDepth else { throw TranscodingError("message nested too deeply") }
            let tag = try readVarint(&position, end)
            switch tag & 7 {
            case 0: _ = try readVarint(&position, end)
            case 1, 5:
                let size = tag & 7 == 1 ? 8 : 4
                guard end - position >= size else { throw TranscodingError("malformed protobuf: truncated") }
                position += size
            case 2:
                let length = try readVarint(&position, end)
                guard length <= UInt64(end - position) else { throw TranscodingError("malformed protobuf: truncated") }
                position += Int(length)
            case 3: nesting.append(UInt32(truncatingIfNeeded: tag >> 3))
            case 4:
                guard UInt32(truncatingIfNeeded: tag >> 3) == open else {
                    throw TranscodingError("malformed protobuf: mismatched end of group")
                }
                nesting.removeLast()
            default: throw TranscodingError("malformed protobuf: invalid wire type")
            }
        }
    }

    /// Puts occurrences in field order, keeping wire order within a field (usually already so).
    mutating func sortOccurrences(from base: Int) {
        var sorted = true
        var index = base + 1
        while index < occurrences.count {
            if occurrences[index].field < occurrences[index - 1].field {
                sorted = false
                break
            }
            index += 1
        }
        if sorted { return }
        occurrences[base...].sort { ($0.field, $0.order) < ($1.field, $1.order) }
    }

    @inline(__always)
    func readVarint(_ position: inout Int, _ end: Int) throws(TranscodingError) -> UInt64 {
        try Self.readVarint(wire, &position, end)
    }

    /// A varint at `position` in `wire`; static, so that helpers that only read the input do not copy the encoder.
    @inline(__always)
    static func readVarint(
        _ wire: UnsafeRawBufferPointer, _ position: inout Int, _ end: Int
    ) throws(TranscodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = wire[position]
            position += 1
            if shift == 63, byte > 1 { throw TranscodingError("malformed protobuf: varint too long") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw TranscodingError("malformed protobuf: truncated")
    }
}

extension WireToJSON {
    /// Writes the JSON of one top-level field of the message (a rule's `response_body`).
    mutating func writeSingleField(_ fieldIndex: Int, of messageIndex: Int) throws(TranscodingError) {
        let schema = registry.messages[messageIndex]
        try scanFields(schema, .one(0..<wire.count))
        sortOccurrences(from: 0)
        let first = occurrences.firstIndex { $0.field == Int32(fieldIndex) } ?? occurrences.count
        var end = first
        while end < occurrences.count, occurrences[end].field == Int32(fieldIndex) { end += 1 }
        try writeField(schema.layouts[fieldIndex], first..<end)
    }
}
