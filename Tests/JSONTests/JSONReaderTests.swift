import JSON
import Testing

/// Reads the whole text into a compact trace: one line per token, with unescaped strings and raw number text.
func trace(_ text: String, maximumDepth: Int = 64) throws(JSONError) -> [String] {
    try trace(Array(text.utf8), maximumDepth: maximumDepth)
}

func trace(_ bytes: [UInt8], maximumDepth: Int = 64) throws(JSONError) -> [String] {
    let outcome = bytes.withUnsafeBytes { buffer in
        Result { () throws(JSONError) -> [String] in
            var reader = JSONReader(bytes: buffer, maximumDepth: maximumDepth)
            var lines: [String] = []
            while true {
                let token = try reader.next()
                switch token.kind {
                case .objectStart: lines.append("{")
                case .objectEnd: lines.append("}")
                case .arrayStart: lines.append("[")
                case .arrayEnd: lines.append("]")
                case .name: lines.append("name \(reader.string(token))")
                case .string: lines.append("string \(reader.string(token))")
                case .number:
                    let text = String(decoding: buffer[token.start..<token.end], as: UTF8.self)
                    lines.append("number \(text)\(token.hasFractionOrExponent ? " f" : "")")
                case .true: lines.append("true")
                case .false: lines.append("false")
                case .null: lines.append("null")
                case .end: return lines
                }
            }
        }
    }
    return try outcome.get()
}

func refusal(_ text: String, maximumDepth: Int = 64) -> JSONError? {
    refusal(Array(text.utf8), maximumDepth: maximumDepth)
}

func refusal(_ bytes: [UInt8], maximumDepth: Int = 64) -> JSONError? {
    do {
        _ = try trace(bytes, maximumDepth: maximumDepth)
        return nil
    } catch {
        return error
    }
}

@Suite("JSON reader")
struct JSONReaderTests {
    @Test("every token kind, with escapes decoded and numbers kept as text")
    func tokens() throws {
        let lines = try trace(
            #" {"s":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","i":-42,"d":1.5e3,"t":true,"f":false,"n":null,"a":[1,"x",[]],"o":{"k":{}}} "#
        )
        #expect(
            lines == [
                "{", "name s", "string a\"\\/\u{8}\u{c}\n\r\té😀", "name i", "number -42", "name d", "number 1.5e3 f",
                "name t", "true", "name f", "false", "name n", "null", "name a", "[", "number 1", "string x", "[", "]",
                "]", "name o", "{", "name k", "{", "}", "}", "}",
            ])
    }

    @Test("any top-level value is read; one value only")
    func topLevel() throws {
        #expect(try trace("1") == ["number 1"])
        #expect(try trace(" \"x\" ") == ["string x"])
        #expect(try trace("[]") == ["[", "]"])
        #expect(try trace("null") == ["null"])
    }

    @Test(
        "malformed JSON is refused",
        arguments: [
            "", " ", "{", "}", "[", "]", "[1", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{\"a\" 1}", "{a:1}",
            "{'a':1}", "{\"a\":1}x", "{\"a\":1}{}", "1 2", "\u{FEFF}{}", "01", "-01", "1.", ".5", "-", "+1", "1e",
            "1e+", "NaN", "Infinity", "-Infinity", "tru", "nul", "falsey", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
            "\"tab\there\"", "\"unterminated", "[1 2]", "{\"a\":1 \"b\":2}", "{\"a\"}", "{,}", "[1}", "{\"a\":1]",
        ])
    func refused(text: String) {
        #expect(refusal(text) != nil)
    }

    @Test(
        "lone surrogates are refused, pairs decode",
        arguments: ["\"\\ud800\"", "\"\\udc00\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\ud800\\ud800\""])
    func loneSurrogates(text: String) {
        #expect(refusal(text)?.message == "lone surrogate in JSON string")
    }

    @Test(
        "invalid UTF-8 is refused, not replaced",
        arguments: [
            [0xC3, 0x28], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        ] as [[UInt8]])
    func invalidUTF8(sequence: [UInt8]) {
        let bytes = [0x22] + Array("abcdefghij".utf8) + sequence + Array("klmnopqrstuvw".utf8) + [0x22]
        #expect(refusal(bytes)?.message == "invalid UTF-8 in JSON string")
    }

    @Test("valid UTF-8 of every length passes through unchanged, also across the 8-byte fast path")
    func validUTF8() throws {
        for prefix in 0..<9 {
            let text = String(repeating: "a", count: prefix) + "é€😀\u{10FFFF}\u{7F}z"
            #expect(try trace("\"\(text)\"") == ["string \(text)"])
        }
    }

    @Test("control characters are refused wherever they fall in an 8-byte word")
    func controlCharacters() {
        for position in 0..<16 {
            var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 16)
            bytes[position] = 0x1F
            #expect(refusal([0x22] + bytes + [0x22])?.message == "control character in JSON string")
        }
    }

    @Test("depth is bounded by the reader's maximum")
    func depth() throws {
        let nested = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try trace(nested).count == 128)
        #expect(refusal("[" + nested + "]")?.message == "JSON nested too deeply")
        #expect(
            refusal(String(repeating: "{\"a\":", count: 5) + "1" + String(repeating: "}", count: 5), maximumDepth: 4)
                != nil)
        let deepest = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(try trace(deepest, maximumDepth: 128).count == 256)
        let huge = String(repeating: "[", count: 100_000)
        #expect(refusal(huge)?.message == "JSON nested too deeply")
    }

    @Test("objects inside arrays inside objects close with the right bracket past 64 levels")
    func mixedNesting() throws {
        var text = ""
        for level in 0..<100 { text += level % 2 == 0 ? "{\"k\":" : "[" }
        text += "0"
        for level in (0..<100).reversed() { text += level % 2 == 0 ? "}" : "]" }
        #expect(try trace(text, maximumDepth: 100).count == 100 + 50 + 1 + 100)
        #expect(refusal(text.replacingLast("}", with: "]"), maximumDepth: 100) != nil)
    }

    @Test("the error offset points at the offending byte")
    func offsets() {
        #expect(refusal("{\"a\":1,\"b\":x}")?.offset == 11)
        #expect(refusal("[1,2]  x")?.offset == 7)
    }

    @Test("skipValue skips a nested value and leaves the reader after it")
    func skip() throws {
        let text = Array(#"{"a":{"b":[1,{"c":2}]},"d":3}"#.utf8)
        let name = try text.withUnsafeBytes { buffer throws(JSONError) -> String in
            var reader = JSONReader(bytes: buffer)
            _ = try reader.next()  // {
            _ = try reader.next()  // "a"
            try reader.skipValue(startingWith: try reader.next())
            return reader.string(try reader.next())
        }
        #expect(name == "d")
    }

    @Test("a document split at every byte is either refused or read the same as the whole (no reads past the end)")
    func prefixes() throws {
        let text = Array(#"{"k":[1.5e-3,"\u00e9x",true,null,{"z":-0}]}"#.utf8)
        let whole = try trace(text)
        for cut in 0..<text.count {
            // Each prefix is a complete buffer of its own: a prefix that is not a full document must be refused.
            let prefix = Array(text[0..<cut])
            #expect(refusal(prefix) != nil, "prefix of \(cut) bytes")
        }
        #expect(whole.count == 13)
    }
}

extension String {
    fileprivate func replacingLast(_ target: Character, with replacement: Character) -> String {
        guard let index = lastIndex(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(index...index, with: String(replacement))
        return copy
    }
}
