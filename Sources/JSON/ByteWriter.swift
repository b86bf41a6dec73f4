/// Output bytes written through a pointer into reserved capacity: one capacity check and a store per piece,
/// where `Array.append` pays a uniqueness check and a generic copy on every call.
///
/// A writer is made over a caller's array (`extend`, then `finish`): the array is extended by the
/// reservation and the writer fills that region in place, so a caller that reuses its array (clearing it,
/// keeping its capacity) writes with no allocation. When the region fills, the writer moves everything to
/// memory of its own, twice as large each time, and `finish` copies the result back into the array.
///
/// A writer is a view: a copy points at the same bytes. Only one copy may be written to, and it must be the one
/// handed to `finish` (the encoders keep theirs in a stored property and hand it back).
package struct ByteWriter {
    // Settable at package level: a module that writes on its hot path declares its own inlined writes over these
    // (the transcoder does; the writes below are this module's), since calls into another module's small
    // functions were measured not to inline (`@inlinable` on package declarations left them calls).
    package var base: UnsafeMutablePointer<UInt8>
    package var capacity: Int
    /// The number of bytes written, counting the array's bytes before the writer began.
    package var count: Int
    /// Whether `base` was allocated by `grow` (and is freed by `finish` or `discard`).
    package var ownsStorage = false

    package init(base: UnsafeMutablePointer<UInt8>, capacity: Int, count: Int) {
        self.base = base
        self.capacity = capacity
        self.count = count
    }

    /// Zero bytes to extend an array by (a copy, where appending a repeated element stores byte by byte).
    package static let zeros = [UInt8](repeating: 0, count: 4096)

    /// Extends `array` by `room` zero bytes (after reserving them), the region a writer fills in place.
    package static func extend(_ array: inout [UInt8], by room: Int) {
        array.reserveCapacity(array.count + room)
        // From a buffer pointer, not a slice of `zeros`: the slice's generic append cost twice the copy.
        zeros.withUnsafeBufferPointer { zeros in
            var filled = 0
            while filled < room {
                let chunk = min(room - filled, zeros.count)
                array.append(contentsOf: UnsafeBufferPointer(rebasing: zeros[..<chunk]))
                filled += chunk
            }
        }
    }

    /// Makes the result of a writer that began at `start` of `array` (extended by `extend`) the array's tail: the
    /// unused reserve is dropped, or bytes the writer moved to its own memory are copied back (and freed).
    package static func finish(_ writer: ByteWriter, from start: Int, into array: inout [UInt8]) {
        if writer.ownsStorage {
            array.removeSubrange(start...)
            array.append(contentsOf: UnsafeBufferPointer(start: writer.base + start, count: writer.count - start))
            writer.base.deallocate()
        } else {
            array.removeSubrange(writer.count...)
        }
    }

    /// Frees memory the writer moved to (after an error; `finish` does it otherwise).
    package func discard() {
        if ownsStorage { base.deallocate() }
    }

    /// Runs `body` with a writer appending to `array` with room for `reserving` bytes (JSON's own array entry
    /// points; the transcoder has its own, with its typed error).
    static func writing(into array: inout [UInt8], reserving: Int, _ body: (inout ByteWriter) -> Void) {
        let start = array.count
        extend(&array, by: max(reserving, 16))
        let writer = array.withUnsafeMutableBufferPointer { buffer in
            var writer = ByteWriter(base: buffer.baseAddress!, capacity: buffer.count, count: start)
            body(&writer)
            return writer
        }
        finish(writer, from: start, into: &array)
    }

    /// Makes room for `needed` more bytes, in memory of the writer's own.
    @inline(never)
    package mutating func grow(_ needed: Int) {
        let newCapacity = max(capacity * 2, count + needed)
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        storage.update(from: base, count: count)
        if ownsStorage { base.deallocate() }
        base = storage
        capacity = newCapacity
        ownsStorage = true
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
