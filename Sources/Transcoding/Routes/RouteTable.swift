package import SwiftProtobuf

/// The REST routes of a descriptor set, in matching order.
///
/// Building is a pure function of the registry (so the gateway can swap tables atomically on reload) and fails
/// with a message naming the file, method and rule when a rule is invalid or two rules cannot be ordered.
/// Matching precedence: a literal segment beats a variable, then fewer wildcards, then declaration order. A lookup
/// walks one segment trie per HTTP method (`RouteTrie`), not the list of routes.
package struct RouteTable: Sendable {
    /// The outcome of looking up a request.
    package enum Lookup: Sendable {
        /// The route, and each template variable's percent-decoded value.
        case matched(Route, [String])
        case notFound
        /// The path exists for these other methods (405 with `Allow`).
        case methodNotAllowed([String])
    }

    package let routes: [Route]
    /// Longest request path accepted, in bytes.
    package let maximumPathLength: Int
    /// Per HTTP method, the route indices in precedence order and the trie over their templates.
    private let byMethod: [String: (order: [Int], trie: RouteTrie)]

    package init(registry: DescriptorRegistry, maximumPathLength: Int = 8192) throws(DescriptorError) {
        self.maximumPathLength = maximumPathLength
        var routes: [Route] = []
        for file in registry.files {
            for service in file.service {
                let serviceName = file.package.isEmpty ? service.name : "\(file.package).\(service.name)"
                for method in service.method {
                    let options: [UInt8]
                    do {
                        options = try method.options.serializedBytes()
                    } catch {
                        throw DescriptorError("\(file.name): \(serviceName).\(method.name): unreadable options")
                    }
                    for rule in try HTTPRule.rules(inMethodOptions: options) {
                        for binding in [rule] + rule.additionalBindings {
                            routes.append(
                                try Self.route(
                                    binding, file: file.name, service: serviceName, method: method, registry: registry,
                                    order: routes.count))
                        }
                    }
                }
            }
        }
        var indicesByMethod: [String: [Int]] = [:]
        for (index, route) in routes.enumerated() { indicesByMethod[route.httpMethod, default: []].append(index) }
        var byMethod: [String: (order: [Int], trie: RouteTrie)] = [:]
        for (method, indices) in indicesByMethod {
            var sorted = indices
            var failure: DescriptorError?
            sorted.sort { left, right in
                switch Self.precedence(routes[left], routes[right]) {
                case .some(let ordered): return ordered
                case .none:
                    failure = DescriptorError(
                        "\(method) \(routes[left].template.text) (\(routes[left].service).\(routes[left].method), "
                            + "\(routes[left].file)) and \(method) \(routes[right].template.text) "
                            + "(\(routes[right].service).\(routes[right].method), \(routes[right].file)) "
                            + "match the same paths")
                    return left < right
                }
            }
            if let failure { throw failure }
            byMethod[method] = (sorted, RouteTrie(sorted.map { routes[$0].template }))
        }
        self.routes = routes
        self.byMethod = byMethod
    }

    /// Finds the route for a request; `path` is the request target's path, without query.
    package func lookup(method: String, path: Substring) throws(RouteError) -> Lookup {
        let segments = try Self.normalise(path, limit: maximumPathLength)
        if let found = try match(method: method, segments) { return found }
        var allowed: [String] = []
        for other in byMethod.keys.sorted() where other != method {
            if try match(method: other, segments) != nil { allowed.append(other) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }

    private func match(method: String, _ segments: [Substring]) throws(RouteError) -> Lookup? {
        guard let (order, trie) = byMethod[method], let rank = trie.firstMatch(segments) else { return nil }
        let route = routes[order[rank]]
        var pathSegments = segments
        if route.template.verb != nil {
            // The trie matched the verb as what follows the last `:`.
            let last = pathSegments[pathSegments.count - 1]
            let colon = last.utf8.lastIndex(of: UInt8(ascii: ":")) ?? last.endIndex
            pathSegments[pathSegments.count - 1] = last[..<colon]
        }
        guard let ranges = route.template.match(pathSegments) else {
            assertionFailure("the route trie returned a route whose template does not match")
            return nil
        }
        var values: [String] = []
        values.reserveCapacity(ranges.count)
        for (variable, range) in zip(route.template.variables, ranges) {
            // One segment (the usual `{id}`) needs no joining.
            let raw =
                range.count == 1 ? String(pathSegments[range.lowerBound]) : pathSegments[range].joined(separator: "/")
            values.append(try PercentDecoding.decode(raw, keepingSlashes: variable.isMultiSegment))
        }
        return .matched(route, values)
    }

    /// Splits a path into segments, refusing what must never reach a route: a missing leading `/`, empty
    /// segments, `.` and `..` (also percent-encoded), and paths over the limit. One pass over the bytes.
    static func normalise(_ path: Substring, limit: Int) throws(RouteError) -> [Substring] {
        let bytes = path.utf8
        guard bytes.count <= limit else { throw RouteError(.uriTooLong, "request path too long") }
        guard bytes.first == UInt8(ascii: "/") else { throw RouteError(.badPath, "request path must start with /") }
        var segments: [Substring] = []
        segments.reserveCapacity(8)
        var failure: RouteError?
        // Scanned as contiguous bytes (`UTF8View` subscripts cost several times more); a String
        // index is made only at each segment's end (`/` is ASCII, so these are character boundaries).
        let scanned = bytes.withContiguousStorageIfAvailable { buffer in
            var start = 1
            var startIndex = bytes.index(after: bytes.startIndex)
            var hasPercent = false
            var offset = 1
            while true {
                if offset < buffer.count, buffer[offset] != UInt8(ascii: "/") {
                    if buffer[offset] == UInt8(ascii: "%") { hasPercent = true }
                    offset += 1
                    continue
                }
                let endIndex = bytes.index(startIndex, offsetBy: offset - start)
                let segment = path[startIndex..<endIndex]
                do throws(RouteError) {
                    try Self.check(segment, hasPercent: hasPercent)
                } catch {
                    failure = error
                    return
                }
                segments.append(segment)
                guard offset < buffer.count else { return }
                start = offset + 1
                startIndex = bytes.index(after: endIndex)
                hasPercent = false
                offset = start
            }
        }
        if let failure { throw failure }
        // Not contiguous (a bridged string): a native copy is.
        guard scanned != nil else { return try Self.normalise(String(path)[...], limit: limit) }
        return segments
    }

    /// Refuses an empty segment and a dot segment, plain or percent-encoded.
    private static func check(_ segment: Substring, hasPercent: Bool) throws(RouteError) {
        guard !segment.isEmpty else { throw RouteError(.badPath, "empty path segment") }
        if hasPercent {
            // Only a segment with a `%` can hide an encoded dot.
            let decoded = segment.replacing("%2E", with: ".").replacing("%2e", with: ".")
            guard decoded != ".", decoded != ".." else { throw RouteError(.badPath, "dot segment in path") }
            return
        }
        let bytes = segment.utf8
        guard bytes.count <= 2, bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) else { return }
        throw RouteError(.badPath, "dot segment in path")
    }

    /// nil when the two routes match the same paths and nothing orders them; else whether `left` goes first.
    static func precedence(_ left: Route, _ right: Route) -> Bool? {
        let a = left.template
        let b = right.template
        if (a.verb != nil) != (b.verb != nil) { return a.verb != nil }
        func rank(_ segment: PathTemplate.Segment) -> Int {
            switch segment {
            case .literal: 0
            case .single: 1
            case .multiple: 2
            }
        }
        for (x, y) in zip(a.segments, b.segments) where rank(x) != rank(y) {
            return rank(x) < rank(y)
        }
        if a.wildcardCount != b.wildcardCount { return a.wildcardCount < b.wildcardCount }
        if a.segments.count != b.segments.count { return a.segments.count < b.segments.count }
        if a.segments == b.segments, a.verb == b.verb { return nil }
        return left.declarationOrder < right.declarationOrder
    }

    // MARK: - Building

    private static func route(
        _ rule: HTTPRule, file: String, service: String, method: Google_Protobuf_MethodDescriptorProto,
        registry: DescriptorRegistry, order: Int
    ) throws(DescriptorError) -> Route {
        let name = "\(file): \(service).\(method.name)"
        guard !rule.method.isEmpty, !rule.pattern.isEmpty else { throw DescriptorError("\(name): rule has no pattern") }
        guard let input = registry.messageIndex(named: method.inputType),
            let output = registry.messageIndex(named: method.outputType)
        else { throw DescriptorError("\(name): unknown input or output type") }
        let template: PathTemplate
        do {
            template = try PathTemplate(rule.pattern)
        } catch {
            throw DescriptorError("\(name): \(error.message)")
        }
        var variableFields: [[Int]] = []
        for variable in template.variables {
            var indices: [Int] = []
            var messageIndex = input
            for (position, component) in variable.fieldPath.enumerated() {
                let schema = registry.messages[messageIndex]
                guard let index = schema.fields.firstIndex(where: { $0.protoName == component }) else {
                    throw DescriptorError(
                        "\(name): \(rule.pattern): no field \(variable.fieldPath.joined(separator: "."))")
                }
                let field = schema.fields[index]
                indices.append(index)
                let isLast = position == variable.fieldPath.count - 1
                if !isLast {
                    guard field.kind == .message, !field.isRepeated else {
                        throw DescriptorError("\(name): \(rule.pattern): \(component) is not a message field")
                    }
                    messageIndex = field.messageIndex
                } else if field.isRepeated
                    || (field.kind == .message && registry.messages[field.messageIndex].wellKnown == nil)
                {
                    throw DescriptorError("\(name): \(rule.pattern): \(component) cannot be bound from a path")
                }
            }
            variableFields.append(indices)
        }
        let inputSchema = registry.messages[input]
        let body: Route.Body
        switch rule.body {
        case "": body = .none
        case "*": body = .whole
        default:
            guard let index = inputSchema.fields.firstIndex(where: { $0.protoName == rule.body }) else {
                throw DescriptorError("\(name): body field \(rule.body) does not exist")
            }
            body = .field(index)
        }
        var responseBody: Int?
        if !rule.responseBody.isEmpty {
            guard let index = registry.messages[output].fields.firstIndex(where: { $0.protoName == rule.responseBody })
            else { throw DescriptorError("\(name): response_body field \(rule.responseBody) does not exist") }
            responseBody = index
        }
        return Route(
            service: service, method: method.name, grpcPath: "/\(service)/\(method.name)", httpMethod: rule.method,
            template: template, body: body, responseBodyField: responseBody, inputIndex: input, outputIndex: output,
            serverStreaming: method.serverStreaming, variableFields: variableFields, file: file,
            declarationOrder: order)
    }
}
