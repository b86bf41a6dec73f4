import JSON

extension Transcoder {
    /// Appends to `output` the request message of a matched route: the JSON body where the rule puts it, then the
    /// path variables, then the query parameters.
    ///
    /// Query parameters bind the fields the path and body leave: dotted paths into nested messages (proto or
    /// JSON names), repeated fields by repetition, enums by name (or number), wrappers, Timestamp and Duration
    /// in their JSON forms. Unknown parameters, a singular field given twice, and a field the path or body
    /// already sets are errors naming the parameter.
    package func requestToWire(
        route: Route, variables: [String], query: Substring?, body: UnsafeRawBufferPointer, into output: inout [UInt8]
    ) throws(TranscodingError) {
        switch route.body {
        case .none:
            guard body.isEmpty else { throw TranscodingError("this route takes no request body") }
        case .whole:
            if !body.isEmpty {
                try ByteWriter.writing(into: &output, reserving: body.count + 32) { writer throws(TranscodingError) in
                    var encoder = JSONToWire(registry: registry, options: options, json: body, output: writer)
                    defer { writer = encoder.output }
                    encoder.boundPaths = route.variableFields
                    try encoder.encodeDocument(messageIndex: route.inputIndex)
                }
            }
        case .field(let index):
            if !body.isEmpty {
                try ByteWriter.writing(into: &output, reserving: body.count + 32) { writer throws(TranscodingError) in
                    var encoder = JSONToWire(registry: registry, options: options, json: body, output: writer)
                    defer { writer = encoder.output }
                    try encoder.encodeDocumentField(registry.messages[route.inputIndex].layouts[index])
                }
            }
        }
        for (fields, value) in zip(route.variableFields, variables) {
            try appendLeaf(fields, value, in: route.inputIndex, to: &output)
        }
        guard let query, !query.isEmpty else { return }
        if route.body == .whole { throw TranscodingError("query parameters are not accepted on this route") }
        var setOnce = Set<[Int]>()
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name: String
            let value: String
            do {
                name = try PercentDecoding.decodeQuery(parts[0])
                value = parts.count > 1 ? try PercentDecoding.decodeQuery(parts[1]) : ""
            } catch {
                throw TranscodingError("query parameter is not valid percent-encoded UTF-8")
            }
            let fields = try queryFields(name, route: route)
            let leaf = try leafField(fields, in: route.inputIndex)
            if !leaf.isRepeated, !setOnce.insert(fields).inserted {
                throw TranscodingError("query parameter \(name) given more than once")
            }
            do throws(TranscodingError) {
                try appendLeaf(fields, value, in: route.inputIndex, to: &output)
            } catch {
                throw TranscodingError("query parameter \(name): \(error.message)")
            }
        }
    }

    /// Appends to `output` the JSON answer of a route: the whole response, or its `response_body` field.
    package func responseToJSON(
        route: Route, wire: UnsafeRawBufferPointer, into output: inout [UInt8]
    )
        throws(TranscodingError)
    {
        guard let field = route.responseBodyField else {
            try wireToJSON(wire, messageIndex: route.outputIndex, into: &output)
            return
        }
        try ByteWriter.writing(into: &output, reserving: wire.count * 2 + 64) { writer throws(TranscodingError) in
            var encoder = WireToJSON(registry: registry, options: options, wire: wire, output: writer)
            defer { writer = encoder.output }
            try encoder.writeSingleField(field, of: route.outputIndex)
        }
    }

    /// Resolves a dotted query parameter name to field indices, refusing unknown names and fields the path or
    /// body set.
    private func queryFields(_ name: String, route: Route) throws(TranscodingError) -> [Int] {
        var indices: [Int] = []
        var messageIndex = route.inputIndex
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        for (position, component) in components.enumerated() {
            let schema = registry.messages[messageIndex]
            let found = Array(component.utf8).withUnsafeBytes { schema.fieldIndex(named: $0) }
            guard let index = found else { throw TranscodingError("unknown query parameter \(name)") }
            indices.append(index)
            let field = schema.fields[index]
            if position < components.count - 1 {
                guard field.kind == .message, !field.isRepeated, registry.messages[field.messageIndex].wellKnown == nil
                else { throw TranscodingError("unknown query parameter \(name)") }
                messageIndex = field.messageIndex
            }
        }
        for bound in route.variableFields where bound.starts(with: indices) || indices.starts(with: bound) {
            throw TranscodingError("query parameter \(name) sets a field the request path already sets")
        }
        if case .field(let bodyField) = route.body, indices.first == bodyField {
            throw TranscodingError("query parameter \(name) sets a field the request body sets")
        }
        return indices
    }

    private func leafField(_ indices: [Int], in messageIndex: Int) throws(TranscodingError) -> FieldSchema {
        var schema = registry.messages[messageIndex]
        for index in indices.dropLast() { schema = registry.messages[schema.fields[index].messageIndex] }
        return schema.fields[indices.last!]
    }

    /// Appends the wire encoding of `value` (text from a path or query) for the field at `indices`, wrapped in its
    /// enclosing messages.
    private func appendLeaf(
        _ indices: [Int], _ value: String, in messageIndex: Int, to output: inout [UInt8]
    )
        throws(TranscodingError)
    {
        let leaf = try leafField(indices, in: messageIndex)
        if leaf.kind == .message || leaf.kind == .group {
            let wellKnown = registry.messages[leaf.messageIndex].wellKnown
            guard let wellKnown, wellKnown != .struct, wellKnown != .listValue, wellKnown != .value, wellKnown != .any,
                wellKnown != .empty
            else { throw TranscodingError("field cannot be set from a URL") }
        }
        // The text becomes a one-value JSON document, read by the same code as a body.
        var json: [UInt8] = []
        let isBool =
            leaf.kind == .bool
            || (leaf.kind == .message && registry.messages[leaf.messageIndex].wellKnown == .boolValue)
        if isBool {
            guard value == "true" || value == "false" else { throw TranscodingError("expected true or false") }
            json = Array(value.utf8)
        } else if leaf.kind == .enum, Int32(value) != nil {
            json = Array(value.utf8)
        } else {
            var text = value
            // Native strings are contiguous: quoted straight from their bytes, with no copy first.
            text.withUTF8 { bytes in _ = JSONOutput.appendQuoted(UnsafeRawBufferPointer(bytes), to: &json) }
        }
        let outcome = json.withUnsafeBytes { buffer in
            Result { () throws(TranscodingError) in
                try ByteWriter.writing(into: &output, reserving: buffer.count + 32) { writer throws(TranscodingError) in
                    var encoder = JSONToWire(registry: registry, options: options, json: buffer, output: writer)
                    defer { writer = encoder.output }
                    try encoder.encodeLeaf(indices, in: messageIndex)
                }
            }
        }
        try outcome.get()
    }
}
