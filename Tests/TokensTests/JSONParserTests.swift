import Testing

@testable import Tokens

@Suite("JSON parser")
struct JSONParserTests {
    private func parse(_ text: String) -> JSONObject? {
        try? JSONParser.parseObject(Array(text.utf8))
    }

    @Test("objects with every value kind parse")
    func values() throws {
        let object = try #require(
            parse(
                #" {"s":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","i":-42,"d":1.5e3,"t":true,"f":false,"n":null,"a":[1,"x"],"o":{"k":[]}} "#
            ))
        #expect(object["s"] == .string("a\"\\/\u{8}\u{c}\n\r\té😀"))
        #expect(object["i"] == .integer(-42))
        #expect(object["d"] == .double(1500))
        #expect(object["t"] == .bool(true))
        #expect(object["f"] == .bool(false))
        #expect(object["n"] == .null)
        #expect(object["a"] == .array([.integer(1), .string("x")]))
        #expect(object["missing"] == nil)
    }

    @Test("integers use 64 bits exactly; larger ones become doubles")
    func integers() throws {
        #expect(parse(#"{"x":9223372036854775807}"#)?["x"] == .integer(.max))
        #expect(parse(#"{"x":-9223372036854775808}"#)?["x"] == .integer(.min))
        #expect(parse(#"{"x":9223372036854775808}"#)?["x"] == .double(9_223_372_036_854_775_808))
        #expect(parse(#"{"x":1e400}"#)?["x"] == .double(.infinity))
    }

    @Test(
        "malformed or ambiguous JSON is refused",
        arguments: [
            "", "[]", "\"s\"", "1", "null", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}",
            "{\"a\":1}x", "{\"a\":1}{}", "\u{FEFF}{}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}",
            "{\"a\":+1}", "{\"a\":NaN}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00x\"}",
            "{\"a\":\"tab\there\"}", "{\"a\":1,\"a\":2}", "{\"a\":\"unterminated}",
        ])
    func refused(text: String) {
        #expect(parse(text) == nil)
    }

    @Test("invalid UTF-8 in strings is refused, not replaced")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect((try? JSONParser.parseObject(bytes)) == nil)
    }

    @Test("depth and member count are bounded")
    func bounds() {
        let deep = String(repeating: "{\"a\":", count: 20) + "1" + String(repeating: "}", count: 20)
        #expect(parse(deep) == nil)
        let deepArray =
            "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(parse(deepArray) == nil)
        let many = "{" + (0..<65).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
        #expect(parse(many) == nil)
        let enough = "{" + (0..<64).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
        #expect(parse(enough) != nil)
    }

    @Test("the writer escapes what the parser unescapes")
    func writerRoundTrip() throws {
        var writer = JSONWriter()
        let tricky = "quote\" backslash\\ newline\n nul\u{0} bell\u{7} é 😀"
        writer.add("s", tricky)
        writer.add("n", Int64(-5))
        writer.add("b", true)
        let object = try #require(parse(writer.finish()))
        #expect(object["s"] == .string(tricky))
        #expect(object["n"] == .integer(-5))
        #expect(object["b"] == .bool(true))
    }
}
