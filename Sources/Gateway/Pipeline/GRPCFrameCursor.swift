import NIOCore

/// Follows gRPC length-prefixed message boundaries in bytes passed through without deframing
/// them, so a proxy knows whether what it forwarded so far ends on a whole message (a status can
/// still follow) or mid-message (only a reset can end it cleanly).
struct GRPCFrameCursor {
    /// Prefix bytes still to read of the current message (5 at a boundary, 0 inside a body).
    private var prefixLeft = 5
    /// The prefix read so far (its last four bytes are the big-endian length).
    private var length: UInt32 = 0
    /// Body bytes left of the current message.
    private var bodyLeft = 0

    /// True when the bytes seen end exactly after a whole message (or none was started).
    var isAtBoundary: Bool { self.prefixLeft == 5 && self.bodyLeft == 0 }

    mutating func advance(over data: ByteBuffer) {
        var index = data.readerIndex
        let end = data.writerIndex
        while index < end {
            if self.bodyLeft > 0 {
                let step = min(self.bodyLeft, end - index)
                self.bodyLeft -= step
                index += step
                continue
            }
            let byte = data.getInteger(at: index, as: UInt8.self)!
            index += 1
            if self.prefixLeft < 5 { self.length = self.length << 8 | UInt32(byte) }  // the flag byte is not length
            self.prefixLeft -= 1
            if self.prefixLeft == 0 {
                self.bodyLeft = Int(self.length)
                self.prefixLeft = 5
                self.length = 0
                // A message of length zero ends at its prefix.
                if self.bodyLeft == 0 { continue }
            }
        }
    }
}
