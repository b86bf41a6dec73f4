import CNGHTTP2

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Array where Element == Header {
    /// Lays the fields out as `nghttp2_nv` in temporary (stack) memory for one submit call;
    /// nghttp2 copies them before the call returns.
    func withNV<Result>(_ body: (UnsafePointer<nghttp2_nv>?, Int) -> Result) -> Result {
        var byteCount = 0
        for index in self.indices { byteCount += self[index].name.utf8.count + self[index].value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Swift.max(byteCount, 1)) { bytes in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: Swift.max(self.count, 1)) { nva in
                var offset = 0
                // By index: a `for header in self` loop copies each field (two reference counts).
                for index in self.indices {
                    let name = Self.copy(self[index].name, into: bytes, at: &offset)
                    let value = Self.copy(self[index].value, into: bytes, at: &offset)
                    let flags =
                        self[index].neverIndex || Header.isUniquePerRequest(name: name)
                        ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE
                    nva.initializeElement(
                        at: index,
                        to: nghttp2_nv(
                            name: name.baseAddress, value: value.baseAddress, namelen: name.count,
                            valuelen: value.count, flags: UInt8(flags.rawValue)))
                }
                return body(UnsafePointer(nva.baseAddress), self.count)
            }
        }
    }

    private static func copy(
        _ string: String, into bytes: UnsafeMutableBufferPointer<UInt8>, at offset: inout Int
    )
        -> UnsafeMutableBufferPointer<UInt8>
    {
        let start = offset
        let utf8 = string.utf8
        // Native strings are contiguous: one copy; others (bridged) byte by byte.
        let copied = utf8.withContiguousStorageIfAvailable { source -> Int in
            UnsafeMutableBufferPointer(rebasing: bytes[start...]).initialize(fromContentsOf: source)
        }
        if let copied {
            offset += copied
        } else {
            for byte in utf8 {
                bytes[offset] = byte
                offset += 1
            }
        }
        return UnsafeMutableBufferPointer(rebasing: bytes[start..<offset])
    }
}

extension Header {
    /// Whether a field's value differs on every request (`x-request-id`, `grpc-timeout`): such a
    /// field is sent as a literal, never added to the HPACK dynamic table. Indexed, each one fills
    /// the table with an entry no later block uses, evicting entries that are used; and since
    /// nghttp2 chains a name's entries together, every later field of that name walks all of them
    /// (comparing names and values) before it is encoded.
    @inline(__always)
    static func isUniquePerRequest(name: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        guard name.count == 12, let base = name.baseAddress else { return false }
        return Self.equals(base, "x-request-id") || Self.equals(base, "grpc-timeout")
    }

    @inline(__always)
    private static func equals(_ bytes: UnsafeMutablePointer<UInt8>, _ literal: StaticString) -> Bool {
        memcmp(bytes, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }
}
