import Testing
import Tokens

@Suite("Base64URL")
struct Base64URLTests {
    /// RFC 4648 §10 vectors, in the URL alphabet and without padding.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test("RFC 4648 vectors encode and decode", arguments: vectors)
    func rfc4648(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("the URL alphabet uses - and _ instead of + and /")
    func urlAlphabet() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("+/8") == nil)
    }

    @Test("every byte string round-trips", arguments: 0..<40)
    func roundTrip(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
    }

    @Test(
        "padding, invalid characters and impossible lengths are refused",
        arguments: [
            "Zg==", "Zm8=", "Zg=", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v.", "Z", "Zm9vY", "Zm9v!", "Zm9vÿ", "\u{0}",
        ])
    func refused(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("non-canonical trailing bits are refused")
    func nonCanonical() {
        #expect(Base64URL.decode("Zg") == [0x66])
        #expect(Base64URL.decode("Zh") == nil)  // same byte, low 4 bits set
        #expect(Base64URL.decode("Zm8") == [0x66, 0x6f])
        #expect(Base64URL.decode("Zm9") == nil)  // same bytes, low 2 bits set
    }
}
