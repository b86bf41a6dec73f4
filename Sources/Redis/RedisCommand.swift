internal import NIOCore

/// A command and its arguments, already in RESP's wire form: each argument a bulk string
/// (`$<length>\r\n<bytes>\r\n`), back to back in one buffer. Sending one writes the array header
/// and copies these bytes into the connection's output: no formatting step, no C allocation.
package struct RedisCommand: Sendable {
    /// Every argument, the command name first, each as a RESP bulk string.
    private(set) var storage: ByteBuffer
    /// The number of arguments, the name included.
    package private(set) var count: Int

    /// A command from its name and arguments: `RedisCommand("SET", "key", .bytes(data))`.
    package init(_ name: String, _ arguments: RESPArgument...) {
        self.init(name, arguments: arguments)
    }

    /// A command from its name and an argument list.
    package init(_ name: String, arguments: [RESPArgument]) {
        self.init(name, capacity: 64)
        self.append(contentsOf: arguments)
    }

    /// A command with only its name, with room for `capacity` bytes of arguments: add them with
    /// ``append(_:)`` (no argument array on the way).
    package init(_ name: String, capacity: Int) {
        self.storage = ByteBufferAllocator().buffer(capacity: capacity)
        self.count = 0
        self.append(.string(name))
    }

    /// Adds one argument at the end.
    package mutating func append(_ argument: RESPArgument) {
        argument.writeBulkString(into: &self.storage)
        self.count += 1
    }

    /// Adds arguments at the end.
    package mutating func append(contentsOf arguments: [RESPArgument]) {
        for argument in arguments { self.append(argument) }
    }

    /// The command name as given, e.g. `SET`.
    package var name: String {
        // The first bulk string: `$<length>\r\n<name>\r\n`.
        let view = self.storage.readableBytesView
        guard let headerEnd = view.firstIndex(of: UInt8(ascii: "\r")) else { return "" }
        let length = Int(String(decoding: view[(view.startIndex + 1)..<headerEnd], as: UTF8.self)) ?? 0
        return String(decoding: view[(headerEnd + 2)..<(headerEnd + 2 + length)], as: UTF8.self)
    }

    /// Writes the command as a RESP array of bulk strings at the end of `buffer`.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        buffer.writeRESPDecimal(Int64(self.count))
        buffer.writeRESPLineEnd()
        buffer.writeImmutableBuffer(self.storage)
    }
}

extension RedisCommand: CustomStringConvertible {
    /// The command name and argument count; never the arguments, which may hold secrets.
    package var description: String { "\(name) (\(count - 1) arguments)" }
}
