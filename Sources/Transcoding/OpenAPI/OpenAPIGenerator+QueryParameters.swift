extension OpenAPIGenerator {
    /// The query parameters of a route: every field the request binder accepts from the query, which is each
    /// field the path and body leave, with dotted names (`sub.subfield`) for the fields of nested singular
    /// messages, as `Transcoder.requestToWire` reads them. A message type that contains itself is documented down
    /// to its first repetition (the binder accepts deeper paths, which no finite list can name).
    func queryParameters(_ route: Route, reference: (Int) -> OpenAPIValue) -> [OpenAPIValue] {
        guard route.body != .whole else { return [] }
        var parameters: [OpenAPIValue] = []
        var enclosing: [Int] = [route.inputIndex]
        appendQueryParameters(
            of: route.inputIndex, prefix: "", indices: [], route: route, reference: reference, enclosing: &enclosing,
            into: &parameters)
        return parameters
    }

    private func appendQueryParameters(
        of messageIndex: Int, prefix: String, indices: [Int], route: Route, reference: (Int) -> OpenAPIValue,
        enclosing: inout [Int], into parameters: inout [OpenAPIValue]
    ) {
        let schema = registry.messages[messageIndex]
        for (index, field) in schema.fields.enumerated() {
            let path = indices + [index]
            if indices.isEmpty, case .field(let bodyField) = route.body, bodyField == index { continue }
            // The path's own fields and everything inside them are refused by the binder.
            if route.variableFields.contains(where: { path.starts(with: $0) }) { continue }
            let name = prefix + outputName(field)
            if field.kind == .message, !field.isRepeated, registry.messages[field.messageIndex].wellKnown == nil {
                guard !enclosing.contains(field.messageIndex) else { continue }
                enclosing.append(field.messageIndex)
                appendQueryParameters(
                    of: field.messageIndex, prefix: name + ".", indices: path, route: route, reference: reference,
                    enclosing: &enclosing, into: &parameters)
                enclosing.removeLast()
                continue
            }
            // A leaf that a path variable reaches into (a Timestamp's seconds) is bound by the path.
            guard isQueryable(field), !route.variableFields.contains(where: { $0.starts(with: path) }) else {
                continue
            }
            var parameter: [(String, OpenAPIValue)] = [
                ("name", .string(name)), ("in", .string("query")),
                ("schema", fieldSchema(field, reference: reference)),
            ]
            if let comment = comments["\(schema.fullName).\(field.protoName)"] {
                parameter.append(("description", .string(comment)))
            }
            parameters.append(.object(parameter))
        }
    }
}
