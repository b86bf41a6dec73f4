import Sodium
import Testing

@Suite("Ed25519")
struct Ed25519Tests {
    /// RFC 8037 Appendix A.1: the private key `d` (seed) and public key `x`, in hex.
    static let rfcSeed = [UInt8](hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let rfcPublicKey = [UInt8](hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    /// RFC 8037 Appendix A.4: the JWS signing input and its signature.
    static let rfcSigningInput = Array("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc".utf8)
    static let rfcSignature = [UInt8](
        hex: "860c98d2297f3060a33f42739672d61b53cf3adefed3d3c672f320dc021b411e"
            + "9d59b8628dc351e248b88b29468e0e41855b0fb7d83bb15be902bfccb8cd0a02")

    @Test("RFC 8037 A.1/A.2: the seed derives the published public key")
    func rfcPublicKey() throws {
        let keyPair = try #require(Ed25519.KeyPair(seed: Self.rfcSeed))
        #expect(keyPair.publicKey.bytes == Self.rfcPublicKey)
    }

    @Test("RFC 8037 A.4: signing gives the published signature")
    func rfcSignature() throws {
        let keyPair = try #require(Ed25519.KeyPair(seed: Self.rfcSeed))
        #expect(keyPair.signature(for: Self.rfcSigningInput) == Self.rfcSignature)
    }

    @Test("RFC 8037 A.5: the published signature verifies, altered ones do not")
    func rfcVerification() throws {
        let publicKey = try #require(Ed25519.PublicKey(bytes: Self.rfcPublicKey))
        #expect(publicKey.isValidSignature(Self.rfcSignature, for: Self.rfcSigningInput))

        var message = Self.rfcSigningInput
        message[message.count - 1] ^= 1
        #expect(!publicKey.isValidSignature(Self.rfcSignature, for: message))

        var signature = Self.rfcSignature
        signature[0] ^= 1
        #expect(!publicKey.isValidSignature(signature, for: Self.rfcSigningInput))
    }

    @Test("a non-canonical signature (S + L) is rejected")
    func malleatedSignature() throws {
        let publicKey = try #require(Ed25519.PublicKey(bytes: Self.rfcPublicKey))
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let order = [UInt8](hex: "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var signature = Self.rfcSignature
        var carry = 0
        for index in 0..<32 {
            let sum = Int(signature[32 + index]) + Int(order[index]) + carry
            signature[32 + index] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        #expect(carry == 0)
        #expect(!publicKey.isValidSignature(signature, for: Self.rfcSigningInput))
    }

    @Test("generated key pairs sign and verify, and differ from each other")
    func generated() {
        let first = Ed25519.KeyPair()
        let second = Ed25519.KeyPair()
        #expect(first.publicKey != second.publicKey)
        let message = Array("hello".utf8)
        let signature = first.signature(for: message)
        #expect(signature.count == Ed25519.signatureByteCount)
        #expect(first.publicKey.isValidSignature(signature, for: message))
        #expect(!second.publicKey.isValidSignature(signature, for: message))
    }

    @Test("the seed round-trips through export")
    func seedRoundTrip() throws {
        let keyPair = Ed25519.KeyPair()
        let restored = try #require(Ed25519.KeyPair(seed: keyPair.seed.exportBytes()))
        #expect(restored.publicKey == keyPair.publicKey)
        #expect(restored.seed.constantTimeEquals(keyPair.seed))
    }

    @Test("empty and non-contiguous messages are signed like arrays")
    func messageShapes() {
        let keyPair = Ed25519.KeyPair()
        let empty = keyPair.signature(for: [UInt8]())
        #expect(keyPair.publicKey.isValidSignature(empty, for: [UInt8]()))
        let text = "a.b.c"
        let signature = keyPair.signature(for: Array(text.utf8))
        #expect(keyPair.publicKey.isValidSignature(signature, for: text.utf8))
        #expect(keyPair.publicKey.isValidSignature(signature, for: (0..<5).map { Array(text.utf8)[$0] }.lazy))
    }

    @Test("wrong lengths and invalid points are refused")
    func invalidInputs() throws {
        #expect(Ed25519.KeyPair(seed: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(Ed25519.KeyPair(seed: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(Ed25519.PublicKey(bytes: Self.rfcPublicKey.dropLast()) == nil)
        // The identity point (y = 1) has small order.
        #expect(Ed25519.PublicKey(bytes: [1] + [UInt8](repeating: 0, count: 31)) == nil)
        let publicKey = try #require(Ed25519.PublicKey(bytes: Self.rfcPublicKey))
        #expect(!publicKey.isValidSignature(Self.rfcSignature.dropLast(), for: Self.rfcSigningInput))
        #expect(!publicKey.isValidSignature([UInt8](repeating: 0, count: 64), for: Self.rfcSigningInput))
    }
}
