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

    /// Appends the argument as a RESP bulk string: `$<length>\r\n<bytes>\r\n`, in one write.
    func writeBulkString(into buffer: inout ByteBuffer) {
        switch self.storage {
        case .string(var value):
            value.withUTF8 { buffer.writeRESPBulkString(UnsafeRawBufferPointer($0)) }
        case .bytes(let value):
            value.withUnsafeBytes { buffer.writeRESPBulkString($0) }
        case .buffer(let value):
            value.withUnsafeReadableBytes { buffer.writeRESPBulkString($0) }
        case .integer(let value):
            buffer.writeRESPBulkString(decimal: value)
        case .double(let value):
            var text = value.isInfinite ? (value < 0 ? "-inf" : "inf") : String(value)
            text.withUTF8 { buffer.writeRESPBulkString(UnsafeRawBufferPointer($0)) }
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
