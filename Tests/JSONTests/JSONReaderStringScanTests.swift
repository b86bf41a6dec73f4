import JSON
import Testing

/// The string scan reads sixteen bytes at a time, then eight, then one: every byte that needs a look is found at
/// every offset within those blocks and at every distance from the end of the input.
@Suite("JSON parser: string scan blocks")
struct JSONReaderStringScanTests {
    @Test("quotes, escapes, multibyte sequences and refusals at every offset, near the end of the input or not")
    func everyOffset() throws {
        for before in 0..<40 {
            for after in [0, 1, 7, 8, 15, 16, 17, 40] {
                let head = [UInt8](repeating: UInt8(ascii: "a"), count: before)
                let tail = [UInt8](repeating: UInt8(ascii: "b"), count: after)
                let plain = String(decoding: head + tail, as: UTF8.self)
                let quote = UInt8(ascii: "\"")
                #expect(try trace([quote] + head + tail + [quote]) == ["string \(plain)"])
                let escaped = [quote] + head + Array(#"\n"#.utf8) + tail + [quote]
                #expect(
                    try trace(escaped) == [
                        "string \(String(repeating: "a", count: before))\n\(plain.dropFirst(before))"
                    ])
                let accented = [quote] + head + [0xC3, 0xA9] + tail + [quote]
                #expect(try trace(accented).count == 1)
                #expect(refusal([quote] + head + [0x01] + tail + [quote])?.offset == before + 1)
                #expect(refusal([quote] + head + [0xFF] + tail + [quote])?.offset == before + 1)
                #expect(refusal([quote] + head + [0x7F] + tail + [quote]) == nil)
                #expect(refusal([quote] + head + tail)?.message == "unterminated JSON string")
            }
        }
    }
}
