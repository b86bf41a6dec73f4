import HTTP2
import Testing

@Suite("Lookup of received names and values")
struct StringTableTests {
    private static func withBytes<Result>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        Array(string.utf8).withUnsafeBufferPointer(body)
    }

    @Test("every string is found, and only an equal one")
    func lookups() {
        let strings = ["/a.B/Get", "/a.B/Put", "/a.B/List", "te", "x", "/a.B/Get"]
        let table = StringTable(strings)
        for (index, string) in strings.enumerated() {
            let found = Self.withBytes(string) { table.index(of: $0) }
            // A duplicate answers with its first occurrence.
            #expect(found == strings.firstIndex(of: string), "\(string) at \(index)")
        }
        for miss in ["/a.B/Gex", "/a.B/Ge", "/a.B/Gets", "", "y", "tf", "/a.B/List/more-than-the-longest"] {
            #expect(Self.withBytes(miss) { table.index(of: $0) } == nil, "\(miss)")
            #expect(Self.withBytes(miss) { table.string(for: $0) } == miss)
        }
        #expect(StringTable([]).index(of: UnsafeBufferPointer(start: nil, count: 0)) == nil)
    }

    @Test("a found string is the table's own (shared, not a new String)")
    func sharesStrings() {
        let table = StringTable(["/halo.video.v1.VideoService/GetVideo"])
        let found = Self.withBytes("/halo.video.v1.VideoService/GetVideo") { table.string(for: $0) }
        #expect(found == table.strings[0])
        #expect(
            found.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
                == table.strings[0].utf8.withContiguousStorageIfAvailable { $0.baseAddress })
    }

    @Test("every known header name gets its token; other names and values are kept as sent")
    func headerTokens() {
        for (name, token) in HeaderToken.known {
            let (classified, string) = Self.withBytes(name) { HeaderToken.classify($0) }
            #expect(classified == token, "\(name)")
            #expect(string == name)
        }
        let (other, name) = Self.withBytes("x-halo-trace") { HeaderToken.classify($0) }
        #expect(other == .other && name == "x-halo-trace")
        for value in HeaderToken.knownValues + ["application/json", ""] {
            #expect(Self.withBytes(value) { HeaderToken.value($0) } == value)
        }
    }

    @Test("strings of every length to 40: each found, and a change of any one byte is not")
    func everyLengthAndEveryByte() {
        // Lengths around the 8- and 16-byte words the lookup compares first, and past them.
        var strings = [""]
        for length in 1...40 {
            for first in ["a", "b"] {
                strings.append(first + String("0123456789abcdefghijklmnopqrstuvwxyz0123".prefix(length - 1)))
            }
        }
        let table = StringTable(strings)
        for (index, string) in strings.enumerated() {
            var bytes = Array(string.utf8)
            #expect(bytes.withUnsafeBufferPointer { table.index(of: $0) } == strings.firstIndex(of: string))
            for position in bytes.indices {
                bytes[position] ^= 0x40
                let changed = String(decoding: bytes, as: UTF8.self)
                let found = bytes.withUnsafeBufferPointer { table.index(of: $0) }
                #expect(found == strings.firstIndex(of: changed), "\(index): byte \(position) changed")
                bytes[position] ^= 0x40
            }
        }
    }
}
