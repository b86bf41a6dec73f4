import Foundation
package import RPC
import ServiceSupport
import Sodium

/// The input rules for accounts: each check returns the normalised value or throws INVALID_ARGUMENT with a
/// constant message that never echoes the input.
package enum AccountRules {
    /// Longest email address (RFC 5321 path limit less the angle brackets).
    package static let maximumEmailLength = 254
    package static let usernameLength = 3...30
    package static let maximumDisplayNameLength = 64
    /// Users are adults from this age, by birth date.
    package static let adultAge = 18
    /// Inputs longer than this many UTF-8 bytes are refused before any Unicode work: a 128-character
    /// password is at most 512 bytes in NFC, and decomposed forms are at most a few times longer.
    static let maximumRawPasswordBytes = 4096

    /// A syntactically valid address (ASCII, `local@domain`), lower-cased.
    package static func email(_ email: String) throws(RPCError) -> String {
        let bytes = Array(email.utf8)
        guard !bytes.isEmpty else { throw invalid("email", "email is required") }
        guard bytes.count <= maximumEmailLength else { throw invalid("email", "email must be at most 254 characters") }
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), bytes.lastIndex(of: UInt8(ascii: "@")) == at,
            isValidLocalPart(bytes[..<at]), isValidDomain(bytes[(at + 1)...])
        else { throw invalid("email", "email is not a valid address") }
        return String(decoding: bytes.map(lowercasedASCII), as: UTF8.self)
    }

    /// 3-30 characters of `[A-Za-z0-9_]`, as given (uniqueness compares lower case).
    package static func username(_ username: String) throws(RPCError) -> String {
        let bytes = username.utf8
        guard usernameLength.contains(bytes.count), bytes.allSatisfy(isUsernameByte) else {
            throw invalid("username", "username must be 3-30 characters of letters, digits and underscore")
        }
        return username
    }

    /// A password of 8-128 characters, normalised to NFC so that every spelling of the same text hashes alike.
    /// The length is checked before any hashing work (and very long input before normalisation).
    package static func password(_ password: String) throws(RPCError) -> String {
        guard password.utf8.count <= maximumRawPasswordBytes else {
            throw invalid("password", "password must be at most 128 characters")
        }
        let normalized = password.precomposedStringWithCanonicalMapping
        do {
            try Argon2id.validate(normalized)
        } catch {
            throw invalid("password", error.message)
        }
        return normalized
    }

    /// The password given at login, NFC-normalised like a registered one. Only input beyond the raw byte cap
    /// is refused (INVALID_ARGUMENT, before any Unicode work); the length rules are Register's, so a wrong
    /// password of any other length is just wrong, answered like any wrong password or unknown email.
    package static func loginPassword(_ password: String) throws(RPCError) -> String {
        guard password.utf8.count <= maximumRawPasswordBytes else {
            throw invalid("password", "password must be at most \(maximumRawPasswordBytes) bytes")
        }
        return password.precomposedStringWithCanonicalMapping
    }

    /// Whether Register could have accepted `password` (normalised): no other password matches a stored hash,
    /// and only these ever reach the hasher.
    package static func couldBeRegistered(_ password: String) -> Bool {
        (try? Argon2id.validate(password)) != nil
    }

    /// A display name of 1-64 characters (NFC, surrounding whitespace removed, no control characters).
    package static func displayName(_ displayName: String) throws(RPCError) -> String {
        guard displayName.utf8.count <= maximumDisplayNameLength * 32 else {
            throw invalid("display_name", "display name must be 1-64 characters")
        }
        let normalized = displayName.precomposedStringWithCanonicalMapping.trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard !normalized.isEmpty, normalized.count <= maximumDisplayNameLength,
            normalized.unicodeScalars.count <= maximumDisplayNameLength * 4
        else { throw invalid("display_name", "display name must be 1-64 characters") }
        guard !normalized.unicodeScalars.contains(where: isForbiddenInName) else {
            throw invalid("display_name", "display name must not contain control characters")
        }
        return normalized
    }

    /// A real date written `YYYY-MM-DD`, not after `today` and not before 1900.
    package static func birthDate(_ birthDate: String, today: BirthDate) throws(RPCError) -> BirthDate {
        guard let date = BirthDate(birthDate) else {
            throw invalid("birth_date", "birth date must be a real date as YYYY-MM-DD")
        }
        guard date <= today else { throw invalid("birth_date", "birth date must not be in the future") }
        guard date.year >= BirthDate.earliestYear else {
            throw invalid("birth_date", "birth date must not be before 1900")
        }
        return date
    }

    /// Adult on `today`: 18 or older by birth date; no birth date, no adult.
    package static func isAdult(_ birthDate: BirthDate?, today: BirthDate) -> Bool {
        birthDate?.isAtLeast(adultAge, on: today) ?? false
    }

    // MARK: Internals

    /// INVALID_ARGUMENT with `message`, naming `field` in a `google.rpc.BadRequest` as well.
    private static func invalid(_ field: String, _ message: String) -> RPCError {
        FieldViolations(field, message).error(message: message)
    }

    private static func isUsernameByte(_ byte: UInt8) -> Bool {
        isASCIIAlphanumeric(byte) || byte == UInt8(ascii: "_")
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: false
        }
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// RFC 5322 dot-atom: atext characters, dots only between them, at most 64 bytes.
    private static func isValidLocalPart(_ local: ArraySlice<UInt8>) -> Bool {
        guard (1...64).contains(local.count), local.first != UInt8(ascii: "."), local.last != UInt8(ascii: ".")
        else { return false }
        var previous: UInt8 = 0
        for byte in local {
            if byte == UInt8(ascii: ".") {
                if previous == byte { return false }
            } else if !isASCIIAlphanumeric(byte), !"!#$%&'*+/=?^_`{|}~-".utf8.contains(byte) {
                return false
            }
            previous = byte
        }
        return true
    }

    /// A host name with at least two labels of `[A-Za-z0-9-]` (no hyphen at either end) and a non-numeric TLD.
    private static func isValidDomain(_ domain: ArraySlice<UInt8>) -> Bool {
        guard (1...253).contains(domain.count) else { return false }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                label.allSatisfy({ isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return !labels.last!.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isForbiddenInName(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
