import COpenSSL

/// A Lua script and its SHA-1, for EVALSHA with EVAL as the fallback.
package struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    package let source: String
    /// The lowercase hex SHA-1 of `source`, as SCRIPT LOAD reports it.
    package let sha1: String

    /// A script from its source; the digest is computed once here, by OpenSSL.
    package init(_ source: String) {
        self.source = source
        self.sha1 = Self.hexSHA1(of: Array(source.utf8))
    }

    /// SHA-1 through OpenSSL's one-shot `EVP_Digest` (no context to own). Redis names scripts by
    /// SHA-1; nothing here relies on it for security.
    private static func hexSHA1(of bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let succeeded = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha1(), nil) == 1
        }
        precondition(succeeded && length == 20, "OpenSSL's SHA-1 is unavailable")
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(40)
        for byte in digest.prefix(20) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
