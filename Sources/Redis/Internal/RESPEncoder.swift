internal import CHiredis
internal import NIOCore

/// Encodes commands as RESP arrays of bulk strings with hiredis' `redisFormatCommandArgv`.
enum RESPEncoder {
    /// Appends the wire form of `command` to `buffer`.
    static func encode(_ command: RedisCommand, into buffer: inout ByteBuffer) throws(RedisError) {
        let lengths = command.lengths
        let written = command.storage.withUnsafeReadableBytes { bytes -> Int32 in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1) { placeholder in
                let base =
                    bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
                    ?? UnsafePointer(placeholder.baseAddress!)
                return withUnsafeTemporaryAllocation(
                    of: UnsafePointer<CChar>?.self, capacity: lengths.count
                ) { argv -> Int32 in
                    var offset = 0
                    for (index, length) in lengths.enumerated() {
                        argv[index] = base + offset
                        offset += length
                    }
                    var target: UnsafeMutablePointer<CChar>?
                    let count = lengths.withUnsafeBufferPointer { lengthPointer in
                        redisFormatCommandArgv(
                            &target, Int32(lengths.count), argv.baseAddress, lengthPointer.baseAddress)
                    }
                    defer { redisFreeCommand(target) }
                    guard count > 0, let target else { return -1 }
                    buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(count)))
                    return count
                }
            }
        }
        if written < 0 {
            throw RedisError(code: .invalidArgument, message: "hiredis could not format the command")
        }
    }
}
