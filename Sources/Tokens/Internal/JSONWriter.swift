/// Writes one flat JSON object, members in the order added; strings are escaped per RFC 8259.
struct JSONWriter {
    private var output = "{"
    private var isEmpty = true

    /// Adds a string member.
    mutating func add(_ name: String, _ value: String) {
        addName(name)
        Self.appendQuoted(value, to: &output)
    }

    /// Adds an integer member.
    mutating func add(_ name: String, _ value: Int64) {
        addName(name)
        output += String(value)
    }

    /// Adds a boolean member.
    mutating func add(_ name: String, _ value: Bool) {
        addName(name)
        output += value ? "true" : "false"
    }

    /// Adds a member whose value is JSON text written elsewhere (a nested array or object).
    mutating func add(_ name: String, json: String) {
        addName(name)
        output += json
    }

    /// The finished object.
    consuming func finish() -> String {
        output + "}"
    }

    private mutating func addName(_ name: String) {
        if !isEmpty { output += "," }
        isEmpty = false
        Self.appendQuoted(name, to: &output)
        output += ":"
    }

    /// Appends `value` as a JSON string literal.
    static func appendQuoted(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{0}"..<"\u{20}":
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
