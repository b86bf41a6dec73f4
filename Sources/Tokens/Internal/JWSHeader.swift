/// The JOSE header fields the verifier looks at; everything else (`jku`, `x5u`, `jwk`, ...) is ignored.
struct JWSHeader {
    let algorithm: String?
    let type: String?
    let keyID: String?
    let hasCritical: Bool

    /// Reads the header from its decoded JSON bytes; anything but a JSON object is malformed.
    init(decoded bytes: [UInt8]) throws(TokenError) {
        let object: JSONObject
        do {
            object = try JSONParser.parseObject(bytes, maximumDepth: 4)
        } catch {
            throw TokenError(.malformed, "token header is not a JSON object")
        }
        guard case .string(let algorithm)? = object["alg"] else {
            throw TokenError(.unsupportedAlgorithm, "token algorithm must be EdDSA")
        }
        self.algorithm = algorithm
        switch object["typ"] {
        case .string(let type)?: self.type = type
        case nil: self.type = nil
        default: throw TokenError(.wrongType, "token type is not accepted")
        }
        switch object["kid"] {
        case .string(let keyID)?: self.keyID = keyID
        case nil: self.keyID = nil
        default: throw TokenError(.unknownKey, "token key id is not known")
        }
        hasCritical = object["crit"] != nil
    }
}
