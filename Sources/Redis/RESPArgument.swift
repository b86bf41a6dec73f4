package import NIOCore

/// One argument of a command: text, an integer or raw bytes.
package struct RESPArgument: Sendable {
    enum Storage: Sendable {
        case string(String)
        case bytes([UInt8])
        case buffer(ByteBuffer)
        case integer(Int64)
        case double(Double)
    }

    let storage: Storage

    /// A UTF-8 text argument.
    package static func string(_ value: String) -> RESPArgument { RESPArgument(storage: .string(value)) }

    /// A binary-safe argument.
    package static func bytes(_ value: some Sequence<UInt8>) -> RESPArgument {
        RESPArgument(storage: .bytes(Array(value)))
    }

    /// A binary-safe argument from a buffer's readable bytes.
    package static func buffer(_ value: ByteBuffer) -> RESPArgument { RESPArgument(storage: .buffer(value)) }

    /// A decimal integer argument.
    package static func int(_ value: some BinaryInteger) -> RESPArgument {
        RESPArgument(storage: .integer(Int64(value)))
    }

    /// A floating-point argument in Redis' notation (`inf`, `-inf`, decimal).
    package static func double(_ value: Double) -> RESPArgument { RESPArgument(storage: .double(value)) }

    /// Appends the argument's bytes to `buffer` and returns how many were written.
    func write(into buffer: inout ByteBuffer) -> Int {
        switch storage {
        case .string(let value): buffer.writeString(value)
        case .bytes(let value): buffer.writeBytes(value)
        case .buffer(let value): buffer.writeImmutableBuffer(value)
        case .integer(let value): buffer.writeString(String(value))
        case .double(let value):
            buffer.writeString(value.isInfinite ? (value < 0 ? "-inf" : "inf") : String(value))
        }
    }
}

extension RESPArgument: ExpressibleByStringLiteral {
    /// A text argument from a literal.
    package init(stringLiteral value: String) { self.storage = .string(value) }
}

extension RESPArgument: ExpressibleByIntegerLiteral {
    /// An integer argument from a literal.
    package init(integerLiteral value: Int64) { self.storage = .integer(value) }
}
