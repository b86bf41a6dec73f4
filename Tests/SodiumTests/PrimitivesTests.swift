import Sodium
import Testing

@Suite("Sodium primitives")
struct PrimitivesTests {
    @Test("SHA-256 matches FIPS 180-2 vectors")
    func sha256() {
        #expect(
            SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("HMAC-SHA-256 matches RFC 4231 test cases 1, 2 and 6")
    func hmac() {
        let case1 = HMACSHA256.authenticationCode(for: Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20))
        #expect(case1.hex == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let case2 = HMACSHA256.authenticationCode(
            for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(case2.hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let case6 = HMACSHA256.authenticationCode(
            for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            key: [UInt8](repeating: 0xaa, count: 131))
        #expect(case6.hex == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("constant-time equality compares contents and lengths")
    func constantTime() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals("token".utf8, Array("token".utf8)))
    }

    @Test("random bytes have the requested length and differ between calls")
    func random() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        let first = SecureRandom.bytes(count: 32)
        let second = SecureRandom.bytes(count: 32)
        #expect(first.count == 32)
        #expect(first != second)
        #expect(Set(first).count > 8)
        #expect((0..<100).allSatisfy { _ in SecureRandom.uniform(upperBound: 10) < 10 })
    }

    @Test("secure bytes hold what they were given and compare in constant time")
    func secureBytes() {
        let secret = SecureBytes(copying: [1, 2, 3, 4])
        #expect(secret.count == 4)
        #expect(secret.exportBytes() == [1, 2, 3, 4])
        #expect(secret.constantTimeEquals(SecureBytes(copying: [1, 2, 3, 4])))
        #expect(!secret.constantTimeEquals(SecureBytes(copying: [1, 2, 3, 5])))
        #expect(!secret.constantTimeEquals(SecureBytes(copying: [1, 2, 3])))
        let random = SecureBytes.random(count: 32)
        #expect(random.count == 32)
        #expect(!random.constantTimeEquals(SecureBytes.random(count: 32)))
    }

    @Test("secure bytes are freed and can be created many times from many threads")
    func secureBytesChurn() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<200 {
                        let keyPair = Ed25519.KeyPair()
                        _ = keyPair.signature(for: [1, 2, 3])
                    }
                }
            }
        }
    }
}
