import SwiftProtobuf

/// OpenAPI 3.1 for a route table, from the descriptors alone: paths and parameters from the rules, request and
/// response schemas that follow the transcoder's presentation options, descriptions from the .proto comments
/// (descriptor sets built with `--include_source_info`), the problem+json error schema, and bearer security
/// where the caller's policy says a route needs it.
package struct OpenAPIGenerator {
    /// Whether a route needs a bearer token (the gateway's policy, not the descriptors').
    package enum Authentication: Sendable {
        case none, optional, required
    }

    package let registry: DescriptorRegistry
    package let routes: RouteTable
    package let options: TranscodingOptions
    package var title = "Halo API"
    package var version = "1.0.0"
    package var authentication: @Sendable (Route) -> Authentication = { _ in .none }
    let comments: [String: String]

    package init(registry: DescriptorRegistry, routes: RouteTable, options: TranscodingOptions) {
        self.registry = registry
        self.routes = routes
        self.options = options
        self.comments = Self.collectComments(registry.files)
    }

    /// The document as JSON.
    package func document() -> OpenAPIValue {
        var paths: [(String, [(String, OpenAPIValue)])] = []
        var referenced = Set<Int>()
        var pending: [Int] = []
        func reference(_ index: Int) -> OpenAPIValue {
            if referenced.insert(index).inserted { pending.append(index) }
            return .object([("$ref", .string("#/components/schemas/\(registry.messages[index].fullName)"))])
        }
        for route in routes.routes {
            let path = Self.openAPIPath(route.template)
            let operation = self.operation(route, reference: reference)
            if let existing = paths.firstIndex(where: { $0.0 == path }) {
                paths[existing].1.append((route.httpMethod.lowercased(), operation))
            } else {
                paths.append((path, [(route.httpMethod.lowercased(), operation)]))
            }
        }
        var schemas: [(String, OpenAPIValue)] = []
        while let index = pending.popLast() {
            schemas.append((registry.messages[index].fullName, messageSchema(index, reference: reference)))
        }
        schemas.sort { $0.0 < $1.0 }
        schemas.append(("Problem", Self.problemSchema))
        return .object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string(title)), ("version", .string(version))])),
            ("paths", .object(paths.map { ($0.0, .object($0.1)) })),
            (
                "components",
                .object([
                    ("schemas", .object(schemas)),
                    (
                        "securitySchemes",
                        .object([
                            (
                                "bearer",
                                .object([
                                    ("type", .string("http")), ("scheme", .string("bearer")),
                                    ("bearerFormat", .string("JWT")),
                                ])
                            )
                        ])
                    ),
                ])
            ),
        ])
    }

    // MARK: - Operations

    private func operation(_ route: Route, reference: (Int) -> OpenAPIValue) -> OpenAPIValue {
        var members: [(String, OpenAPIValue)] = [
            ("operationId", .string("\(route.service).\(route.method)#\(route.declarationOrder)")),
            ("tags", .array([.string(route.service)])),
        ]
        if let comment = comments["\(route.service).\(route.method)"] {
            members.append(("description", .string(comment)))
        }
        let input = registry.messages[route.inputIndex]
        var parameters: [OpenAPIValue] = []
        for variable in route.template.variables {
            parameters.append(
                .object([
                    ("name", .string(variable.fieldPath.joined(separator: "."))), ("in", .string("path")),
                    ("required", .bool(true)), ("schema", .object([("type", .string("string"))])),
                ]))
        }
        parameters += queryParameters(route, reference: reference)
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
        switch route.body {
        case .none: break
        case .whole:
            members.append(("requestBody", Self.jsonContent(reference(route.inputIndex), required: false)))
        case .field(let index):
            members.append(
                (
                    "requestBody",
                    Self.jsonContent(fieldSchema(input.fields[index], reference: reference), required: false)
                ))
        }
        let response: OpenAPIValue
        if let field = route.responseBodyField {
            response = fieldSchema(registry.messages[route.outputIndex].fields[field], reference: reference)
        } else {
            response = messageValueSchema(route.outputIndex, reference: reference)
        }
        members.append(
            (
                "responses",
                .object([
                    (
                        "200",
                        .object([
                            ("description", .string(route.serverStreaming ? "A stream of messages" : "OK")),
                            ("content", Self.responseContent(response, streaming: route.serverStreaming)),
                        ])
                    ),
                    (
                        "default",
                        .object([
                            ("description", .string("An error (RFC 9457 problem details; code is the gRPC code name)")),
                            (
                                "content",
                                .object([
                                    (
                                        "application/problem+json",
                                        .object([
                                            ("schema", .object([("$ref", .string("#/components/schemas/Problem"))]))
                                        ])
                                    )
                                ])
                            ),
                        ])
                    ),
                ])
            ))
        switch authentication(route) {
        case .none: members.append(("security", .array([])))
        case .optional: members.append(("security", .array([.object([("bearer", .array([]))]), .object([])])))
        case .required: members.append(("security", .array([.object([("bearer", .array([]))])])))
        }
        return .object(members)
    }

    /// A response's media types: JSON, or for a server-streaming method the gateway's two stream
    /// formats (NDJSON: one message per line; Server-Sent Events: one message per event's data).
    private static func responseContent(_ schema: OpenAPIValue, streaming: Bool) -> OpenAPIValue {
        guard streaming else { return .object([("application/json", .object([("schema", schema)]))]) }
        return .object([
            ("application/x-ndjson", .object([("schema", schema)])),
            (
                "text/event-stream",
                .object([
                    (
                        "schema",
                        .object([
                            ("type", .string("string")),
                            ("description", .string("Server-Sent Events: each event's data is one message as JSON")),
                        ])
                    )
                ])
            ),
        ])
    }

    private static func jsonContent(_ schema: OpenAPIValue, required: Bool) -> OpenAPIValue {
        .object([
            ("required", .bool(required)),
            ("content", .object([("application/json", .object([("schema", schema)]))])),
        ])
    }

    func isQueryable(_ field: FieldSchema) -> Bool {
        guard field.cardinality != .map else { return false }
        if field.kind == .message {
            guard let wellKnown = registry.messages[field.messageIndex].wellKnown else { return false }
            return wellKnown.isWrapper || wellKnown == .timestamp || wellKnown == .duration || wellKnown == .fieldMask
        }
        return field.kind != .group
    }

    /// `/v1/{name=shelves/*}:cancel` becomes `/v1/{name}:cancel`.
    static func openAPIPath(_ template: PathTemplate) -> String {
        var parts: [String] = []
        var index = 0
        while index < template.segments.count {
            if let variable = template.variables.first(where: { $0.start == index }) {
                parts.append("{\(variable.fieldPath.joined(separator: "."))}")
                index = variable.end ?? template.segments.count
                continue
            }
            switch template.segments[index] {
            case .literal(let text): parts.append(text)
            case .single: parts.append("*")
            case .multiple: parts.append("**")
            }
            index += 1
        }
        return "/" + parts.joined(separator: "/") + (template.verb.map { ":\($0)" } ?? "")
    }

    // MARK: - Schemas

    func outputName(_ field: FieldSchema) -> String {
        options.outputFieldNames == .proto ? field.protoName : field.jsonName
    }

    private func messageSchema(_ index: Int, reference: (Int) -> OpenAPIValue) -> OpenAPIValue {
        let schema = registry.messages[index]
        if schema.wellKnown != nil { return wellKnownSchema(schema.wellKnown!, index, reference: reference) }
        var properties: [(String, OpenAPIValue)] = []
        for field in schema.fields where field.kind != .group {
            var property = fieldSchema(field, reference: reference)
            if let comment = comments["\(schema.fullName).\(field.protoName)"], case .object(var members) = property {
                if members.first?.0 == "$ref" {
                    property = .object([("description", .string(comment)), ("allOf", .array([property]))])
                } else {
                    members.append(("description", .string(comment)))
                    property = .object(members)
                }
            }
            properties.append((outputName(field), property))
        }
        var members: [(String, OpenAPIValue)] = [("type", .string("object")), ("properties", .object(properties))]
        if let comment = comments[schema.fullName] { members.append(("description", .string(comment))) }
        return .object(members)
    }

    /// A message value: a `$ref`, or a well-known type's JSON form inline.
    private func messageValueSchema(_ index: Int, reference: (Int) -> OpenAPIValue) -> OpenAPIValue {
        if let wellKnown = registry.messages[index].wellKnown {
            return wellKnownSchema(wellKnown, index, reference: reference)
        }
        return reference(index)
    }

    func fieldSchema(_ field: FieldSchema, reference: (Int) -> OpenAPIValue) -> OpenAPIValue {
        switch field.cardinality {
        case .map:
            let entry = registry.messages[field.messageIndex]
            return .object([
                ("type", .string("object")),
                ("additionalProperties", fieldSchema(entry.fields[1], reference: reference)),
            ])
        case .repeated:
            return .object([("type", .string("array")), ("items", singularSchema(field, reference: reference))])
        case .implicit, .explicit:
            return singularSchema(field, reference: reference)
        }
    }

    private func singularSchema(_ field: FieldSchema, reference: (Int) -> OpenAPIValue) -> OpenAPIValue {
        switch field.kind {
        case .message, .group: return messageValueSchema(field.messageIndex, reference: reference)
        case .enum: return enumSchema(field.enumIndex)
        default: return Self.scalarSchema(field.kind, options: options)
        }
    }

    static func scalarSchema(_ kind: FieldSchema.Kind, options: TranscodingOptions) -> OpenAPIValue {
        switch kind {
        case .int32, .sint32, .sfixed32:
            return .object([("type", .string("integer")), ("format", .string("int32"))])
        case .uint32, .fixed32:
            return .object([("type", .string("integer")), ("format", .string("int64")), ("minimum", .number(0))])
        case .int64, .sint64, .sfixed64, .uint64, .fixed64:
            let format = kind == .uint64 || kind == .fixed64 ? "uint64" : "int64"
            let types: OpenAPIValue =
                options.int64AsNumberWhenSafe ? .array([.string("integer"), .string("string")]) : .string("string")
            return .object([("type", types), ("format", .string(format))])
        case .float, .double:
            return .object([
                (
                    "oneOf",
                    .array([
                        .object([("type", .string("number"))]),
                        .object([
                            ("type", .string("string")),
                            ("enum", .array([.string("NaN"), .string("Infinity"), .string("-Infinity")])),
                        ]),
                    ])
                )
            ])
        case .bool: return .object([("type", .string("boolean"))])
        case .string: return .object([("type", .string("string"))])
        case .bytes: return .object([("type", .string("string")), ("contentEncoding", .string("base64"))])
        case .enum, .message, .group: return .object([])
        }
    }

    private func enumSchema(_ index: Int) -> OpenAPIValue {
        let schema = registry.enums[index]
        if schema.fullName == "google.protobuf.NullValue" { return .object([("type", .string("null"))]) }
        let names = schema.values.map { options.outputEnumNames == .proto ? $0.name : $0.shortName }
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        return .object([
            ("type", .string("string")), ("enum", .array(unique.map { .string($0) })),
            ("description", .string(comments[schema.fullName] ?? schema.fullName)),
        ])
    }

    private func wellKnownSchema(
        _ wellKnown: MessageSchema.WellKnown, _ index: Int, reference: (Int) -> OpenAPIValue
    )
        -> OpenAPIValue
    {
        switch wellKnown {
        case .timestamp: return .object([("type", .string("string")), ("format", .string("date-time"))])
        case .duration:
            return .object([("type", .string("string")), ("pattern", .string("^-?[0-9]+(\\.[0-9]{1,9})?s$"))])
        case .fieldMask: return .object([("type", .string("string"))])
        case .empty, .struct: return .object([("type", .string("object"))])
        case .value: return .object([])
        case .listValue: return .object([("type", .string("array"))])
        case .any:
            return .object([
                ("type", .string("object")),
                ("properties", .object([("@type", .object([("type", .string("string"))]))])),
                ("required", .array([.string("@type")])),
            ])
        default:
            let field = registry.messages[index].fields[0]
            return Self.scalarSchema(field.kind, options: options)
        }
    }

    static let problemSchema: OpenAPIValue = .object([
        ("type", .string("object")),
        (
            "properties",
            .object([
                ("type", .object([("type", .string("string"))])),
                ("title", .object([("type", .string("string"))])),
                ("status", .object([("type", .string("integer"))])),
                ("detail", .object([("type", .string("string"))])),
                (
                    "code",
                    .object([("type", .string("string")), ("description", .string("the gRPC status code name"))])
                ),
                ("request_id", .object([("type", .string("string"))])),
            ])
        ),
        ("required", .array([.string("type"), .string("title"), .string("status"), .string("code")])),
    ])

    // MARK: - Comments

    /// Leading comments of messages, fields, enums, services and methods, by full name (`pkg.Message.field`).
    private static func collectComments(_ files: [Google_Protobuf_FileDescriptorProto]) -> [String: String] {
        var result: [String: String] = [:]
        for file in files {
            var byPath: [[Int32]: String] = [:]
            for location in file.sourceCodeInfo.location where location.hasLeadingComments {
                byPath[location.path] = location.leadingComments.trimmingCharacters()
            }
            let prefix = file.package.isEmpty ? "" : file.package + "."
            func visit(_ message: Google_Protobuf_DescriptorProto, name: String, path: [Int32]) {
                result[name] = byPath[path]
                for (index, field) in message.field.enumerated() {
                    result["\(name).\(field.name)"] = byPath[path + [2, Int32(index)]]
                }
                for (index, nested) in message.nestedType.enumerated() {
                    visit(nested, name: "\(name).\(nested.name)", path: path + [3, Int32(index)])
                }
                for (index, nested) in message.enumType.enumerated() {
                    result["\(name).\(nested.name)"] = byPath[path + [4, Int32(index)]]
                }
            }
            for (index, message) in file.messageType.enumerated() {
                visit(message, name: prefix + message.name, path: [4, Int32(index)])
            }
            for (index, enumType) in file.enumType.enumerated() {
                result[prefix + enumType.name] = byPath[[5, Int32(index)]]
            }
            for (serviceIndex, service) in file.service.enumerated() {
                result[prefix + service.name] = byPath[[6, Int32(serviceIndex)]]
                for (methodIndex, method) in service.method.enumerated() {
                    result["\(prefix)\(service.name).\(method.name)"] =
                        byPath[[6, Int32(serviceIndex), 2, Int32(methodIndex)]]
                }
            }
        }
        return result.compactMapValues { $0 }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var lines = split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.drop { $0 == " " }
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
