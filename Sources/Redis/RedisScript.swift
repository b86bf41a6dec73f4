/// A Lua script and its SHA-1, for EVALSHA with EVAL as the fallback.
package struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    package let source: String
    /// The lowercase hex SHA-1 of `source`, as SCRIPT LOAD reports it.
    package let sha1: String

    /// A script from its source; the digest is computed once here.
    package init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hexDigest(of: Array(source.utf8))
    }
}
