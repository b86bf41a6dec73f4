import Redis
import Testing

@Suite("Script digests and URLs")
struct SupportTests {
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        ),
    ])
    func scriptDigestIsSHA1(source: String, digest: String) {
        #expect(RedisScript(source).sha1 == digest)
    }

    @Test func parsesURLs() throws {
        let plain = try RedisConnection.Configuration(url: "redis://127.0.0.1:6390")
        #expect(plain.host == "127.0.0.1" && plain.port == 6390 && plain.password == nil && plain.database == nil)
        let full = try RedisConnection.Configuration(url: "redis://app:s3:cret@redis.internal/2")
        #expect(full.host == "redis.internal" && full.port == 6379)
        #expect(full.username == "app" && full.password == "s3:cret" && full.database == 2)
        let passwordOnly = try RedisConnection.Configuration(url: "redis://:pw@[::1]:7000")
        #expect(passwordOnly.host == "::1" && passwordOnly.port == 7000)
        #expect(passwordOnly.username == nil && passwordOnly.password == "pw")
    }

    @Test(arguments: ["http://x", "redis://", "redis://h:0", "redis://h:x", "redis://h/-1"])
    func rejectsBadURLs(url: String) {
        #expect(throws: RedisError.self) { try RedisConnection.Configuration(url: url) }
    }
}
