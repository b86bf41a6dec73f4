extension TokenVerifier {
    /// What a token must say to be accepted.
    package struct Configuration: Hashable, Sendable {
        /// Largest accepted leeway for `exp`, `nbf` and `iat`.
        package static let maximumLeeway: Duration = .seconds(60)

        /// The required `iss`.
        package var issuer: String
        /// The audience that `aud` (a string or an array) must contain.
        package var audience: String
        /// The required header `typ`; `application/` + it is accepted too, case-insensitively (RFC 7515 §4.1.9).
        package var expectedType: String
        /// Allowed clock skew; 30 s by default, clamped to 0...60 s.
        package var leeway: Duration {
            get { storedLeeway }
            set { storedLeeway = min(max(newValue, .zero), Self.maximumLeeway) }
        }
        /// Largest accepted token, in bytes; larger ones are refused before any decoding.
        package var maximumTokenBytes: Int

        private var storedLeeway: Duration = .seconds(30)

        package init(
            issuer: String, audience: String, expectedType: String = "at+jwt", leeway: Duration = .seconds(30),
            maximumTokenBytes: Int = 8 * 1024
        ) {
            self.issuer = issuer
            self.audience = audience
            self.expectedType = expectedType
            self.maximumTokenBytes = maximumTokenBytes
            self.leeway = leeway
        }

        /// The leeway in whole seconds.
        var leewaySeconds: Int64 {
            leeway.components.seconds
        }

        /// True when a header `typ` names the expected type (ASCII case-insensitive, optional `application/`).
        func acceptsType(_ type: String) -> Bool {
            var bytes = type.utf8[...]
            let prefix = "application/".utf8
            if bytes.count == prefix.count + expectedType.utf8.count,
                bytes.prefix(prefix.count).elementsEqual(prefix, by: Self.equalIgnoringASCIICase)
            {
                bytes = bytes.dropFirst(prefix.count)
            }
            return bytes.elementsEqual(expectedType.utf8, by: Self.equalIgnoringASCIICase)
        }

        private static func equalIgnoringASCIICase(_ lhs: UInt8, _ rhs: UInt8) -> Bool {
            lowercased(lhs) == lowercased(rhs)
        }

        private static func lowercased(_ byte: UInt8) -> UInt8 {
            byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
        }
    }
}
