/// A `google.api.http` path template (`/v1/{name=shelves/*/books/*}:cancel`), parsed per the grammar in
/// http.proto, and matched against normalised request paths.
package struct PathTemplate: Sendable, Equatable, CustomStringConvertible {
    /// One segment of the template.
    package enum Segment: Sendable, Equatable {
        case literal(String)
        /// `*`: exactly one segment.
        case single
        /// `**`: zero or more segments, only last.
        case multiple
    }

    /// A `{field.path=...}` capture over segments `start..<end` (`end` is nil for a trailing `**`).
    package struct Variable: Sendable, Equatable {
        package let fieldPath: [String]
        package let start: Int
        package let end: Int?
        /// Whether the variable spans more than one segment (then `%2F` stays encoded when decoding).
        package var isMultiSegment: Bool { end == nil || end! - start > 1 }
    }

    package let segments: [Segment]
    package let variables: [Variable]
    package let verb: String?
    package let text: String

    package var description: String { text }

    /// Parses `text`; the error says what is wrong with it.
    package init(_ text: String) throws(DescriptorError) {
        self.text = text
        var parser = TemplateParser(Array(text.utf8))
        let (segments, variables, verb) = try parser.parse()
        self.segments = segments
        self.variables = variables
        self.verb = verb
    }

    /// The number of `*` and `**` segments.
    var wildcardCount: Int { segments.count { $0 == .single || $0 == .multiple } }

    /// Matches the segments of a normalised path (verb already split off); returns each variable's raw segments
    /// as a range of `pathSegments`.
    func match(_ pathSegments: [Substring]) -> [Range<Int>]? {
        var index = 0
        for segment in segments {
            switch segment {
            case .literal(let literal):
                guard index < pathSegments.count, pathSegments[index] == literal else { return nil }
                index += 1
            case .single:
                guard index < pathSegments.count else { return nil }
                index += 1
            case .multiple:
                index = pathSegments.count
            }
        }
        guard index == pathSegments.count else { return nil }
        return variables.map { $0.start..<($0.end ?? pathSegments.count) }
    }
}

/// A recursive-descent parser for the template grammar.
private struct TemplateParser {
    let bytes: [UInt8]
    var index = 0
    var segments: [PathTemplate.Segment] = []
    var variables: [PathTemplate.Variable] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parse() throws(DescriptorError) -> ([PathTemplate.Segment], [PathTemplate.Variable], String?) {
        guard consume(UInt8(ascii: "/")) else { throw error("must start with /") }
        try parseSegments(insideVariable: false)
        var verb: String?
        if consume(UInt8(ascii: ":")) {
            let literal = readLiteral()
            guard !literal.isEmpty else { throw error("empty verb") }
            verb = literal
        }
        guard index == bytes.count else { throw error("unexpected character at offset \(index)") }
        if let last = segments.indices.last {
            for position in 0..<last where segments[position] == .multiple { throw error("** must be last") }
        }
        return (segments, variables, verb)
    }

    private mutating func parseSegments(insideVariable: Bool) throws(DescriptorError) {
        while true {
            if consume(UInt8(ascii: "{")) {
                guard !insideVariable else { throw error("nested variable") }
                try parseVariable()
            } else if consume(UInt8(ascii: "*")) {
                segments.append(consume(UInt8(ascii: "*")) ? .multiple : .single)
            } else {
                let literal = readLiteral()
                guard !literal.isEmpty else { throw error("empty segment") }
                segments.append(.literal(literal))
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "/") else { return }
            index += 1
        }
    }

    private mutating func parseVariable() throws(DescriptorError) {
        var fieldPath: [String] = []
        repeat {
            let start = index
            while index < bytes.count, bytes[index].isIdentifier { index += 1 }
            guard index > start else { throw error("expected a field path") }
            fieldPath.append(String(decoding: bytes[start..<index], as: UTF8.self))
        } while consume(UInt8(ascii: "."))
        let start = segments.count
        if consume(UInt8(ascii: "=")) {
            try parseSegments(insideVariable: true)
        } else {
            segments.append(.single)
        }
        guard consume(UInt8(ascii: "}")) else { throw error("unterminated variable") }
        guard !variables.contains(where: { $0.fieldPath == fieldPath }) else {
            throw error("variable \(fieldPath.joined(separator: ".")) appears twice")
        }
        let end: Int? = segments.last == .multiple ? nil : segments.count
        variables.append(PathTemplate.Variable(fieldPath: fieldPath, start: start, end: end))
    }

    private mutating func readLiteral() -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}")
                || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "=")
            {
                break
            }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private func error(_ message: String) -> DescriptorError {
        DescriptorError("path template \(String(decoding: bytes, as: UTF8.self)): \(message)")
    }
}

extension UInt8 {
    fileprivate var isIdentifier: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
            || (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")) || self == UInt8(ascii: "_")
    }
}
