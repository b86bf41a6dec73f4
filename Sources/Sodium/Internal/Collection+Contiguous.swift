/// Contiguous byte access for any byte collection without copying when the storage already is contiguous.
extension Collection<UInt8> {
    /// Calls `body` with the bytes in contiguous memory, copying only when the collection is not contiguous.
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let result = try withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return try Array(self).withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer {
    /// The base address as `unsigned char *`, never nil (a one-byte dummy stands in for empty buffers).
    func withUCharPointer<R>(_ body: (UnsafePointer<UInt8>) throws -> R) rethrows -> R {
        guard let base = baseAddress else {
            var dummy: UInt8 = 0
            return try body(&dummy)
        }
        return try body(base.assumingMemoryBound(to: UInt8.self))
    }
}
