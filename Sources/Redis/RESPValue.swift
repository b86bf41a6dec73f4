package import NIOCore

/// A RESP2 reply from the server, decoded into Swift values.
package enum RESPValue: Sendable, Hashable {
    /// A status reply such as `OK` or `QUEUED`.
    case simpleString(String)
    /// An error reply; `send` turns a top-level one into `RedisError.Code.serverError`.
    case error(String)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string; binary safe.
    case bulkString(ByteBuffer)
    /// A null bulk string or null array.
    case null
    /// An array reply, possibly nested.
    case array([RESPValue])
}

extension RESPValue {
    /// The value as text: simple strings and bulk strings (decoded as UTF-8).
    package var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let buffer): String(buffer: buffer)
        default: nil
        }
    }

    /// The value as an integer: integer replies and bulk strings holding a decimal number.
    package var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString(let buffer): Int64(String(buffer: buffer))
        case .simpleString(let text): Int64(text)
        default: nil
        }
    }

    /// The bytes of a bulk or simple string.
    package var bytes: [UInt8]? {
        switch self {
        case .bulkString(let buffer): Array(buffer.readableBytesView)
        case .simpleString(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The elements of an array reply.
    package var array: [RESPValue]? {
        if case .array(let values) = self { values } else { nil }
    }

    /// Whether the reply is a null bulk string or null array.
    package var isNull: Bool {
        if case .null = self { true } else { false }
    }
}

extension RESPValue: CustomStringConvertible {
    /// A short, redis-cli-like rendering for logs and test failures.
    package var description: String {
        switch self {
        case .simpleString(let text): text
        case .error(let message): "(error) \(message)"
        case .integer(let value): "(integer) \(value)"
        case .bulkString(let buffer):
            buffer.readableBytes > 64 ? "\"<\(buffer.readableBytes) bytes>\"" : "\"\(String(buffer: buffer))\""
        case .null: "(nil)"
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
