import JSON

/// A JSON value for building documents such as the OpenAPI description, written with members in insertion order.
package indirect enum OpenAPIValue: Sendable, Equatable {
    case string(String)
    case number(Int)
    case bool(Bool)
    case array([OpenAPIValue])
    case object([(String, OpenAPIValue)])

    package static func == (lhs: OpenAPIValue, rhs: OpenAPIValue) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    /// The JSON text.
    package func serialized() -> [UInt8] {
        var output: [UInt8] = []
        write(to: &output)
        return output
    }

    private func write(to output: inout [UInt8]) {
        switch self {
        case .string(let text):
            _ = Array(text.utf8).withUnsafeBytes { JSONOutput.appendQuoted($0, to: &output) }
        case .number(let value):
            JSONOutput.appendDecimal(Int64(value), to: &output)
        case .bool(let value):
            output.append(contentsOf: (value ? "true" : "false").utf8)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, (name, value)) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                _ = Array(name.utf8).withUnsafeBytes { JSONOutput.appendQuoted($0, to: &output) }
                output.append(UInt8(ascii: ":"))
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}
