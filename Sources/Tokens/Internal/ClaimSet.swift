/// The registered and Halo claims of a payload, typed but not yet checked against policy.
struct ClaimSet {
    var issuer: String?
    var subject: String?
    var audiences: [String]?
    var expiresAt: Int64?
    var notBefore: Int64?
    var issuedAt: Int64?
    var jwtID: String?
    var adult = false
    var admin = false

    /// Reads the claims from the decoded payload; wrong JSON types are malformed, unknown claims are ignored.
    init(decoded bytes: [UInt8]) throws(TokenError) {
        let object: JSONObject
        do {
            object = try JSONParser.parseObject(bytes, maximumDepth: 8)
        } catch {
            throw TokenError(.malformed, "token payload is not a JSON object")
        }
        for member in object.members {
            switch member.name {
            case "iss": issuer = try Self.string(member.value)
            case "sub": subject = try Self.string(member.value)
            case "aud": audiences = try Self.audiences(member.value)
            case "exp": expiresAt = try Self.numericDate(member.value)
            case "nbf": notBefore = try Self.numericDate(member.value)
            case "iat": issuedAt = try Self.numericDate(member.value)
            case "jti": jwtID = try Self.string(member.value)
            case "adult": adult = try Self.bool(member.value)
            case "admin": admin = try Self.bool(member.value)
            default: continue
            }
        }
    }

    private static func string(_ value: JSONValue) throws(TokenError) -> String {
        guard case .string(let string) = value else { throw TokenError(.malformed, "token claim has the wrong type") }
        return string
    }

    private static func bool(_ value: JSONValue) throws(TokenError) -> Bool {
        guard case .bool(let bool) = value else { throw TokenError(.malformed, "token claim has the wrong type") }
        return bool
    }

    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    private static func audiences(_ value: JSONValue) throws(TokenError) -> [String] {
        switch value {
        case .string(let audience):
            return [audience]
        case .array(let elements):
            var audiences: [String] = []
            audiences.reserveCapacity(elements.count)
            for element in elements {
                audiences.append(try string(element))
            }
            return audiences
        default:
            throw TokenError(.malformed, "token claim has the wrong type")
        }
    }

    /// A NumericDate: seconds since the epoch, possibly fractional (rounded down), within 64 bits.
    private static func numericDate(_ value: JSONValue) throws(TokenError) -> Int64 {
        switch value {
        case .integer(let seconds):
            return seconds
        case .double(let seconds)
        where seconds >= -9_223_372_036_854_775_808.0 && seconds < 9_223_372_036_854_775_808.0:
            return Int64(seconds.rounded(.down))
        default:
            throw TokenError(.malformed, "token time claim is not a number of seconds")
        }
    }
}
