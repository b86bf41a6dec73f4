import Sodium
import Testing

@Suite("Argon2id", .serialized)
struct Argon2idTests {
    let hasher: Argon2id

    init() throws {
        hasher = try Argon2id()
    }

    @Test("hash then verify; a wrong password does not match")
    func roundTrip() throws {
        let hash = try hasher.hash("correct horse battery")
        #expect(try hasher.verify("correct horse battery", against: hash))
        #expect(try !hasher.verify("correct horse battery!", against: hash))
        #expect(try !hasher.verify("Correct horse battery", against: hash))
    }

    @Test("defaults give a PHC string with OWASP's m=19456 KiB, t=2, p=1 and a fresh salt")
    func phcString() throws {
        #expect(hasher.configuration == Argon2id.Configuration(opsLimit: 2, memoryLimitBytes: 19_922_944))
        let first = try hasher.hash("password1")
        let second = try hasher.hash("password1")
        #expect(first.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(first != second)
    }

    @Test("needsRehash is false for the same parameters and true when they rise")
    func needsRehash() throws {
        let hash = try hasher.hash("password1")
        #expect(!hasher.needsRehash(hash))
        let moreTime = try Argon2id(configuration: .init(opsLimit: 3, memoryLimitBytes: 19 * 1024 * 1024))
        let moreMemory = try Argon2id(configuration: .init(opsLimit: 2, memoryLimitBytes: 32 * 1024 * 1024))
        #expect(moreTime.needsRehash(hash))
        #expect(moreMemory.needsRehash(hash))
        let rehashed = try moreTime.hash("password1")
        #expect(rehashed.hasPrefix("$argon2id$v=19$m=19456,t=3,p=1$"))
        #expect(try hasher.verify("password1", against: rehashed))
        #expect(hasher.needsRehash("not a hash"))
    }

    @Test(
        "parameters below OWASP's minimum are refused",
        arguments: [(1, 19 * 1024 * 1024), (2, 19 * 1024 * 1024 - 1024)])
    func weakConfiguration(opsLimit: Int, memoryLimitBytes: Int) {
        #expect(throws: PasswordError.self) {
            try Argon2id(configuration: .init(opsLimit: opsLimit, memoryLimitBytes: memoryLimitBytes))
        }
        do {
            _ = try Argon2id(configuration: .init(opsLimit: opsLimit, memoryLimitBytes: memoryLimitBytes))
        } catch {
            #expect(error.code == .invalidConfiguration)
        }
    }

    @Test("too short passwords are rejected before hashing", arguments: ["", "1234567", "ünïcöd"])
    func tooShort(password: String) {
        #expect(passwordError { try hasher.hash(password) } == .tooShort)
        #expect(passwordError { try hasher.verify(password, against: "x") } == .tooShort)
    }

    @Test("too long passwords are rejected before hashing")
    func tooLong() {
        let tooLong = [
            String(repeating: "a", count: 129),
            String(repeating: "🔑", count: 129),
            String(repeating: "x", count: 1_000_000),
        ]
        for password in tooLong {
            #expect(passwordError { try hasher.hash(password) } == .tooLong)
            #expect(passwordError { try hasher.verify(password, against: "x") } == .tooLong)
        }
    }

    @Test("the bounds are inclusive: 8 and 128 characters are accepted")
    func bounds() throws {
        try Argon2id.validate("12345678")
        try Argon2id.validate(String(repeating: "a", count: 128))
        try Argon2id.validate(String(repeating: "🔑", count: 128))
    }

    @Test("Unicode passwords round-trip", arguments: ["pässwörd🔑", "пароль-пароль", "密码密码密码密码", "  spaces  "])
    func unicode(password: String) throws {
        let hash = try hasher.hash(password)
        #expect(try hasher.verify(password, against: hash))
    }

    @Test("NUL is part of the password, not its end")
    func embeddedNul() throws {
        let hash = try hasher.hash("abcdefgh\u{0}ijk")
        #expect(try hasher.verify("abcdefgh\u{0}ijk", against: hash))
        #expect(try !hasher.verify("abcdefgh", against: hash))
    }

    @Test("the exact UTF-8 bytes are hashed: callers normalise NFC/NFD before hashing")
    func normalisationIsTheCallersJob() throws {
        let composed = "caf\u{E9}-latte"
        let decomposed = "cafe\u{301}-latte"
        #expect(composed == decomposed)  // Swift compares canonically...
        let hash = try hasher.hash(composed)
        #expect(try !hasher.verify(decomposed, against: hash))  // ...libsodium compares bytes.
    }

    @Test("malformed or foreign hashes never match")
    func malformedHashes() throws {
        for hash in [
            "", "$argon2id$", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", String(repeating: "$", count: 500),
        ] {
            #expect(try !hasher.verify("password1", against: hash))
        }
    }
}

/// The code of the `PasswordError` thrown by `body`, or nil when it throws nothing or something else.
private func passwordError<T>(_ body: () throws -> T) -> PasswordError.Code? {
    do {
        _ = try body()
        return nil
    } catch {
        return (error as? PasswordError)?.code
    }
}
