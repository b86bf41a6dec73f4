internal import NIOCore

/// A command and its arguments, stored back to back in one buffer until it is encoded.
package struct RedisCommand: Sendable {
    /// Every argument, the command name first, concatenated.
    private(set) var storage: ByteBuffer
    /// The length of each argument in `storage`.
    private(set) var lengths: [Int]

    /// A command from its name and arguments: `RedisCommand("SET", "key", .bytes(data))`.
    package init(_ name: String, _ arguments: RESPArgument...) {
        self.init(name, arguments: arguments)
    }

    /// A command from its name and an argument list.
    package init(_ name: String, arguments: [RESPArgument]) {
        storage = ByteBufferAllocator().buffer(capacity: 64)
        lengths = []
        lengths.reserveCapacity(arguments.count + 1)
        lengths.append(storage.writeString(name))
        append(contentsOf: arguments)
    }

    /// Adds arguments at the end.
    package mutating func append(contentsOf arguments: [RESPArgument]) {
        for argument in arguments {
            lengths.append(argument.write(into: &storage))
        }
    }

    /// The command name as given, e.g. `SET`.
    package var name: String {
        storage.getString(at: storage.readerIndex, length: lengths[0]) ?? ""
    }

    /// The number of arguments, the name included.
    package var count: Int { lengths.count }
}

extension RedisCommand: CustomStringConvertible {
    /// The command name and argument count; never the arguments, which may hold secrets.
    package var description: String { "\(name) (\(count - 1) arguments)" }
}
