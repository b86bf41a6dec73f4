import JSON

/// The transcoder's writes through a `ByteWriter`, declared in this module so that they inline into the encoders
/// (the JSON module's own copies stay calls from here, measured at 2-3% of JSON -> wire).
extension ByteWriter {
    /// Runs `body` with a writer that appends to `array`, with room for `reserving` bytes before it has to grow
    /// into memory of its own. On error the array is left as it was.
    static func writing(
        into array: inout [UInt8], reserving: Int, _ body: (inout ByteWriter) throws(TranscodingError) -> Void
    ) throws(TranscodingError) {
        let start = array.count
        extend(&array, by: max(reserving, 16))
        let outcome = array.withUnsafeMutableBufferPointer { buffer in
            var writer = ByteWriter(base: buffer.baseAddress!, capacity: buffer.count, count: start)
            do throws(TranscodingError) {
                try body(&writer)
            } catch {
                writer.discard()
                return Result<ByteWriter, TranscodingError>.failure(error)
            }
            return .success(writer)
        }
        switch outcome {
        case .failure(let error):
            array.removeSubrange(start...)
            throw error
        case .success(let writer):
            finish(writer, from: start, into: &array)
        }
    }

    /// Ensures room for `needed` more bytes and returns where they go; the caller stores them and calls
    /// `advance(by:)` with the number it wrote.
    @inline(__always)
    mutating func reserve(_ needed: Int) -> UnsafeMutablePointer<UInt8> {
        if capacity - count < needed { grow(needed) }
        return base + count
    }

    /// Counts `written` bytes stored at `reserve`'s pointer.
    @inline(__always)
    mutating func advance(by written: Int) {
        count += written
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        let length = bytes.count
        guard length > 0 else { return }
        if capacity - count < length { grow(length) }
        UnsafeMutableRawPointer(base + count).copyMemory(from: bytes.baseAddress!, byteCount: length)
        count += length
    }

    @inline(__always)
    mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        for byte in bytes { append(byte) }
    }

    /// Appends an ASCII literal.
    @inline(__always)
    mutating func appendASCII(_ text: StaticString) {
        append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Forgets the bytes from `range.lowerBound` on.
    @inline(__always)
    mutating func removeSubrange(_ range: PartialRangeFrom<Int>) {
        count = range.lowerBound
    }

    /// Inserts `extra` bytes (unspecified values) at `offset`, moving the bytes after it right.
    mutating func insertGap(at offset: Int, count extra: Int) {
        if capacity - count < extra { grow(extra) }
        (base + offset + extra).update(from: base + offset, count: count - offset)
        count += extra
    }

    subscript(offset: Int) -> UInt8 {
        @inline(__always) get { base[offset] }
        @inline(__always) set { base[offset] = newValue }
    }

    /// The bytes written so far (valid until the next write).
    @inline(__always)
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
