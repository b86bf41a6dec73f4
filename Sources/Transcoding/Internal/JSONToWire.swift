import JSON

/// Reads one JSON document with a `JSONReader` and writes the protobuf wire encoding of the message it
/// describes, field by field in the order the members come: no dictionaries, no message objects.
///
/// Strict: unknown fields, duplicate members (also one field under both its names), two members of a oneof,
/// values of the wrong type, numbers out of range or with a fraction for integer fields, and anything the
/// tokenizer refuses are errors with a JSON pointer. `null` means absent, except where a `Value` or a
/// `NullValue` takes it.
struct JSONToWire {
    let registry: DescriptorRegistry
    let options: TranscodingOptions
    var reader: JSONReader
    var output: ByteWriter
    /// Unescaped strings, reused.
    var scratch: [UInt8] = []
    /// Field-index paths from the document's message that the request path already set (REST bindings).
    var boundPaths: [[Int]] = []
    /// The field-index path to the field being encoded, kept only while `boundPaths` is not empty.
    private var currentPath: [Int] = []

    init(registry: DescriptorRegistry, options: TranscodingOptions, json: UnsafeRawBufferPointer, output: ByteWriter) {
        self.registry = registry
        self.options = options
        self.reader = JSONReader(bytes: json, maximumDepth: min(max(options.maximumDepth, 1), 128))
        self.output = output
    }

    /// Encodes the whole document as a message of type `messageIndex`.
    mutating func encodeDocument(messageIndex: Int) throws(TranscodingError) {
        let token = try next()
        if registry.messages[messageIndex].wellKnown == nil, !token.isObjectStart {
            throw TranscodingError("expected a JSON object")
        }
        try encodeMessageValue(messageIndex, token)
        _ = try next()  // the end; trailing data is the reader's error
    }

    /// The next token, with tokenizer errors turned into transcoding errors (the pointer is added on the way out).
    @inline(__always)
    mutating func next() throws(TranscodingError) -> JSONToken {
        do {
            return try reader.next()
        } catch {
            throw TranscodingError(error.message)
        }
    }

    /// `next()` for the value after a member name (the reader skips its dispatch on state there).
    @inline(__always)
    mutating func nextMemberValue() throws(TranscodingError) -> JSONToken {
        do {
            return try reader.nextMemberValue()
        } catch {
            throw TranscodingError(error.message)
        }
    }

    /// Calls `body` with the unescaped bytes of a string or name token: straight from the input when it has no
    /// escapes (the usual case, specialised here rather than through the reader's generic entry point), else
    /// through `scratch`.
    @inline(__always)
    mutating func withText<Result>(_ token: JSONToken, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if !token.isEscaped { return body(UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end])) }
        scratch.removeAll(keepingCapacity: true)
        reader.appendUnescaped(token, to: &scratch)
        return scratch.withUnsafeBytes(body)
    }

    // MARK: - Messages

    /// Encodes a message's value (an object, or a well-known type's special form) without tag or length.
    mutating func encodeMessageValue(_ messageIndex: Int, _ token: JSONToken) throws(TranscodingError) {
        if let wellKnown = registry.messages[messageIndex].wellKnown {
            try encodeWellKnown(wellKnown, messageIndex, token)
            return
        }
        guard token.isObjectStart else { throw TranscodingError("expected an object") }
        try encodeFields(messageIndex, skippingTypeMember: false)
    }

    /// Encodes the members of an object whose `{` was read, up to and including its `}`.
    mutating func encodeFields(_ messageIndex: Int, skippingTypeMember: Bool) throws(TranscodingError) {
        let schema = registry.messages[messageIndex]
        var seen = FieldSet(count: schema.fields.count)
        var oneofsSeen = FieldSet(count: schema.oneofNames.count)
        // Members usually come in field-number order (as encoders write them): the field after the last one found
        // is tried by its names before the hash table.
        var predicted = 0
        while true {
            // The guessed field's names are matched in place by the tokenizer, without scanning the name.
            let guessed = schema.withGuessableNames(of: predicted) { json, proto in
                reader.nextName(quoted: json, or: proto)
            }
            let name: JSONToken
            let found: Int?
            if let guessed {
                name = guessed
                found = predicted
            } else {
                name = try next()
                if name.isObjectEnd { return }
                if name.isEscaped {
                    found = withText(name) { schema.fieldIndex(named: $0) }
                } else {
                    let text = UnsafeRawBufferPointer(rebasing: reader.bytes[name.start..<name.end])
                    found = schema.field(predicted, isNamed: text) ? predicted : schema.fieldIndex(named: text)
                }
            }
            guard let index = found else {
                if skippingTypeMember, reader.text(of: name, equals: "@type") {
                    _ = try next()  // the type URL, read before
                    continue
                }
                throw TranscodingError("unknown field").under(reader.string(name))
            }
            let field = schema.layouts[index]
            predicted = index + 1
            if !boundPaths.isEmpty { currentPath.append(index) }
            defer { if !boundPaths.isEmpty { currentPath.removeLast() } }
            do throws(TranscodingError) {
                if !boundPaths.isEmpty, boundPaths.contains(currentPath) {
                    throw TranscodingError("field is already set by the request path")
                }
                guard seen.insert(index) else { throw TranscodingError("duplicate field") }
                let value = try nextMemberValue()
                if value.isNull, !acceptsNull(field) { continue }
                if field.oneofIndex >= 0, !oneofsSeen.insert(field.oneofIndex) {
                    throw TranscodingError("more than one member of oneof \(schema.oneofNames[field.oneofIndex])")
                }
                try encodeField(field, value)
            } catch {
                throw error.under(reader.string(name))
            }
        }
    }

    /// Whether `null` is a value of the field (a singular `Value` or `NullValue`) rather than "absent".
    private func acceptsNull(_ field: FieldLayout) -> Bool {
        guard field.cardinality != .repeated, field.cardinality != .map else { return false }
        return isNullTaking(field)
    }

    func isNullTaking(_ field: FieldLayout) -> Bool {
        if field.kind == .message { return registry.messages[field.messageIndex].wellKnown == .value }
        if field.kind == .enum { return registry.enums[field.enumIndex].fullName == "google.protobuf.NullValue" }
        return false
    }

    // MARK: - Fields

    mutating func encodeField(_ field: FieldLayout, _ token: JSONToken) throws(TranscodingError) {
        switch field.cardinality {
        case .map:
            guard token.isObjectStart else { throw TranscodingError("expected an object") }
            try encodeMap(field)
        case .repeated:
            guard token.isArrayStart else { throw TranscodingError("expected an array") }
            try encodeRepeated(field)
        case .implicit:
            // Straight to the scalar: an implicit field is never a message or a group (those have presence).
            let mark = output.count
            output.appendTag(field.tag)
            if try encodeScalar(field.kind, enumIndex: field.enumIndex, token) { output.removeSubrange(mark...) }
        case .explicit:
            output.appendTag(field.tag)
            if let wellKnown = field.messageWellKnown, wellKnown == .timestamp || wellKnown == .duration {
                try encodeTimeValue(wellKnown, field, token)
                return
            }
            _ = try encodeSingularValue(field, token)
        }
    }

    /// Writes a timestamp or a duration (no tag). It is at most 22 bytes (two tags, two varints), so its length is
    /// one byte, set after it: no lookup of its schema, no call to place a longer length. Not inlined, so that
    /// the callers' frames stay as small as they were (inlined, it cost the counts map 8 instructions an entry).
    @inline(never)
    private mutating func encodeTimeValue(
        _ wellKnown: MessageSchema.WellKnown, _ field: FieldLayout, _ token: JSONToken
    ) throws(TranscodingError) {
        let mark = output.count
        output.append(0)
        try encodeWellKnown(wellKnown, field.messageIndex, token)
        output[mark] = UInt8(truncatingIfNeeded: output.count - mark - 1)
    }

    /// Writes one value of the field (no tag); returns whether it is the type's default (0, "", false).
    mutating func encodeSingularValue(_ field: FieldLayout, _ token: JSONToken) throws(TranscodingError) -> Bool {
        switch field.kind {
        case .message:
            let start = output.beginLength()
            try encodeMessageValue(field.messageIndex, token)
            output.endLength(start)
            return false
        case .group:
            throw TranscodingError("groups are not supported in JSON")
        default:
            return try encodeScalar(field.kind, enumIndex: field.enumIndex, token)
        }
    }

    private mutating func encodeRepeated(_ field: FieldLayout) throws(TranscodingError) {
        var index = 0
        if field.isPacked {
            let mark = output.count
            output.appendTag(field.packedTag)
            let start = output.beginLength()
            while true {
                let token = try next()
                if token.isArrayEnd { break }
                do throws(TranscodingError) {
                    guard !token.isNull else { throw TranscodingError("null is not allowed in a list") }
                    _ = try encodeScalar(field.kind, enumIndex: field.enumIndex, token)
                } catch {
                    throw error.under(index)
                }
                index += 1
            }
            if index == 0 {
                output.removeSubrange(mark...)
            } else {
                output.endLength(start)
            }
            return
        }
        let takesNull = isNullTaking(field)
        let isScalar = field.kind != .message && field.kind != .group
        while true {
            let token = try next()
            if token.isArrayEnd { return }
            do throws(TranscodingError) {
                guard !token.isNull || takesNull else { throw TranscodingError("null is not allowed in a list") }
                output.appendTag(field.tag)
                if isScalar {
                    _ = try encodeScalar(field.kind, enumIndex: field.enumIndex, token)
                } else {
                    _ = try encodeSingularValue(field, token)
                }
            } catch {
                throw error.under(index)
            }
            index += 1
        }
    }

    // MARK: - Maps

    private mutating func encodeMap(_ field: FieldLayout) throws(TranscodingError) {
        let entry = registry.messages[field.messageIndex]
        let keyField = entry.layouts[0]
        let valueField = entry.layouts[1]
        let valueTakesNull = isNullTaking(valueField)
        var keys = MapKeySet()
        var entryCount = 0
        while true {
            let name = try next()
            if name.isObjectEnd { return }
            do throws(TranscodingError) {
                output.appendTag(field.tag)
                let start = output.beginLength()
                output.appendTag(keyField.tag)
                try encodeMapKey(keyField.kind, name)
                let keyLength = output.count - start
                let value = try nextMemberValue()
                guard !value.isNull || valueTakesNull else {
                    throw TranscodingError("null is not allowed as a map value")
                }
                output.appendTag(valueField.tag)
                _ = try encodeSingularValue(valueField, value)
                let payloadLength = output.count - start
                output.endLength(start)
                let keyStart = output.count - payloadLength
                let earlier = keys.insert(output.bytes, start: keyStart, count: keyLength, entry: entryCount)
                guard earlier == nil else { throw TranscodingError("duplicate map key") }
                entryCount += 1
            } catch {
                throw error.under(reader.string(name))
            }
        }
    }

    /// Writes a map key (a JSON member name) as the key field's value.
    private mutating func encodeMapKey(_ kind: FieldSchema.Kind, _ name: JSONToken) throws(TranscodingError) {
        switch kind {
        case .string:
            try writeString(name)
        case .bool:
            if reader.text(of: name, equals: "true") {
                output.append(1)
            } else if reader.text(of: name, equals: "false") {
                output.append(0)
            } else {
                throw TranscodingError("expected a boolean map key")
            }
        default:
            let parsed = withText(name) { JSONNumber.integer($0) }
            try writeInteger(kind, parsed, allowFraction: false)
        }
    }
}

/// Which fields (or oneofs) of one object were seen; inline up to 128, one allocation beyond (optional, so that a
/// small message touches no array: an empty one was measured at 70 instructions per object).
struct FieldSet {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var more: [Bool]?

    init(count: Int) {
        more = count > 128 ? [Bool](repeating: false, count: count) : nil
    }

    /// Inserts `index`; false when it was already there.
    @inline(__always)
    mutating func insert(_ index: Int) -> Bool {
        if index < 64 {
            let mask = UInt64(1) << UInt64(index)
            defer { low |= mask }
            return low & mask == 0
        }
        if index < 128 {
            let mask = UInt64(1) << UInt64(index - 64)
            defer { high |= mask }
            return high & mask == 0
        }
        defer { more![index] = true }
        return !more![index]
    }
}

extension JSONToWire {
    /// Encodes the whole document as the value of one top-level field (a rule's `body: "field"`).
    mutating func encodeDocumentField(_ field: FieldLayout) throws(TranscodingError) {
        let token = try next()
        if !token.isNull { try encodeField(field, token) }
        _ = try next()
    }

    /// Encodes the document (one scalar) as the field at `indices`, inside its enclosing messages.
    mutating func encodeLeaf(_ indices: [Int], in messageIndex: Int) throws(TranscodingError) {
        let field = registry.messages[messageIndex].layouts[indices[0]]
        if indices.count > 1 {
            output.appendTag(field.tag)
            let start = output.beginLength()
            try encodeLeaf(Array(indices.dropFirst()), in: field.messageIndex)
            output.endLength(start)
            return
        }
        let token = try next()
        if field.isRepeated {
            output.appendTag(field.tag)
            _ = try encodeSingularValue(field, token)
        } else {
            try encodeField(field, token)
        }
        _ = try next()
    }
}
