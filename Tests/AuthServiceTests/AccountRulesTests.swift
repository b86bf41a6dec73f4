import AuthService
import Foundation
import RPC
import Testing

@Suite("Account rules")
struct AccountRulesTests {
    static let today = BirthDate("2026-06-15")!

    @Test(
        "valid emails are accepted and lower-cased",
        arguments: [
            ("Alice@Example.COM", "alice@example.com"), ("a.b+tag@mail.example.org", "a.b+tag@mail.example.org"),
            ("o'brien@x.io", "o'brien@x.io"), ("x@a-b.example", "x@a-b.example"),
        ])
    func validEmail(input: String, normalized: String) throws {
        #expect(try AccountRules.email(input) == normalized)
    }

    @Test(
        "malformed emails are refused",
        arguments: [
            "", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b@c.com", ".a@b.com", "a.@b.com", "a..b@c.com",
            "a b@c.com", "a@-b.com", "a@b-.com", "a@b..com", "a@b.123", "ä@b.com", "a@bé.com", "a@b.com ",
            "<a@b.com>", "a\u{0}@b.com", String(repeating: "a", count: 65) + "@b.com",
            "a@" + String(repeating: "b", count: 64) + ".com",
            String(repeating: "a", count: 60) + "@"
                + String(repeating: "b.", count: 98) + "com",
        ])
    func invalidEmail(input: String) {
        #expect(throws: RPCError.self) { try AccountRules.email(input) }
        #expect(self.code { try AccountRules.email(input) } == .invalidArgument)
    }

    @Test("usernames: 3-30 of [A-Za-z0-9_]", arguments: ["abc", "A_b_9", String(repeating: "z", count: 30)])
    func validUsername(input: String) throws {
        #expect(try AccountRules.username(input) == input)
    }

    @Test(
        "usernames outside the rule are refused",
        arguments: ["ab", String(repeating: "z", count: 31), "a-b", "a b", "ab.c", "ünï", "abc\u{0}", "' OR 1=1"])
    func invalidUsername(input: String) {
        #expect(self.code { try AccountRules.username(input) } == .invalidArgument)
    }

    @Test("passwords of 8 and 128 characters are accepted; 7 and 129 are not")
    func passwordLengthBounds() throws {
        #expect(try AccountRules.password("12345678") == "12345678")
        #expect(try AccountRules.password(String(repeating: "é", count: 128)).count == 128)
        #expect(self.code { try AccountRules.password("1234567") } == .invalidArgument)
        #expect(self.code { try AccountRules.password("") } == .invalidArgument)
        #expect(self.code { try AccountRules.password(String(repeating: "x", count: 129)) } == .invalidArgument)
    }

    @Test("a 1 MB password is refused before any Unicode work")
    func hugePassword() {
        let clock = ContinuousClock()
        let huge = String(repeating: "e\u{301}", count: 500_000)
        var code: RPCError.Code?
        let elapsed = clock.measure { code = self.code { try AccountRules.password(huge) } }
        #expect(code == .invalidArgument)
        #expect(elapsed < .milliseconds(100))
    }

    @Test("passwords are normalised to NFC: decomposed and composed spellings are the same password")
    func passwordNFC() throws {
        let composed = "caf\u{E9}-cr\u{E8}me-\u{212B}"  // é, è, Angstrom sign
        let decomposed = "cafe\u{301}-cre\u{300}me-A\u{30A}"
        #expect(try AccountRules.password(composed) == AccountRules.password(decomposed))
        #expect(try AccountRules.password(decomposed).unicodeScalars.count == 12)
        // 8 decomposed scalars that compose to 4 characters are too short.
        #expect(self.code { try AccountRules.password(String(repeating: "e\u{301}", count: 4)) } == .invalidArgument)
        // Emoji, spaces and NUL are characters like any other.
        #expect(try AccountRules.password("🔐 pass\u{0}word 🔑").unicodeScalars.count == 13)
    }

    @Test("display names: trimmed, NFC, 1-64 characters, no control characters")
    func displayNames() throws {
        #expect(try AccountRules.displayName("  Zoë  ") == "Zo\u{EB}")
        #expect(try AccountRules.displayName("Zoe\u{308}") == "Zo\u{EB}")
        #expect(try AccountRules.displayName(String(repeating: "👍🏽", count: 64)).count == 64)
        #expect(self.code { try AccountRules.displayName(String(repeating: "x", count: 65)) } == .invalidArgument)
        #expect(self.code { try AccountRules.displayName("   ") } == .invalidArgument)
        #expect(self.code { try AccountRules.displayName("a\u{7}b") } == .invalidArgument)
        #expect(self.code { try AccountRules.displayName("a\nb") } == .invalidArgument)
        #expect(self.code { try AccountRules.displayName(String(repeating: "x", count: 1 << 20)) } == .invalidArgument)
    }

    @Test("birth dates: real dates written YYYY-MM-DD, not in the future", arguments: ["2000-02-29", "2026-06-15"])
    func validBirthDate(input: String) throws {
        #expect(try AccountRules.birthDate(input, today: Self.today).description == input)
    }

    @Test(
        "birth dates that are malformed, unreal or in the future are refused",
        arguments: [
            "", "2001-02-29", "1999-13-01", "1999-00-10", "1999-04-31", "1999-4-1", "99-04-01", "1999/04/01",
            "1999-04-01T00:00:00Z", "2026-06-16", "3000-01-01", "1899-12-31", "１９９９-04-01", "+999-04-01",
        ])
    func invalidBirthDate(input: String) {
        #expect(self.code { try AccountRules.birthDate(input, today: Self.today) } == .invalidArgument)
    }

    @Test("adults are 18 or over by birth date, counted in whole days")
    func adulthood() {
        let today = BirthDate("2026-06-15")!
        #expect(AccountRules.isAdult(BirthDate("2008-06-15"), today: today))
        #expect(!AccountRules.isAdult(BirthDate("2008-06-16"), today: today))
        #expect(!AccountRules.isAdult(nil, today: today))
        // Born on 29 February: adult from 1 March in a common year.
        #expect(!AccountRules.isAdult(BirthDate("2008-02-29"), today: BirthDate("2026-02-28")!))
        #expect(AccountRules.isAdult(BirthDate("2008-02-29"), today: BirthDate("2026-03-01")!))
    }

    @Test("the UTC calendar date of an instant")
    func utcDate() {
        #expect(BirthDate(utcDateOf: Date(timeIntervalSince1970: 0)).description == "1970-01-01")
        #expect(BirthDate(utcDateOf: Date(timeIntervalSince1970: 951_782_400)).description == "2000-02-29")
        #expect(BirthDate(utcDateOf: Date(timeIntervalSince1970: 1_781_567_999)).description == "2026-06-15")
        #expect(BirthDate(utcDateOf: Date(timeIntervalSince1970: -1)).description == "1969-12-31")
    }

    private func code(_ body: () throws -> some Any) -> RPCError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? RPCError)?.code ?? .unknown
        }
    }
}
