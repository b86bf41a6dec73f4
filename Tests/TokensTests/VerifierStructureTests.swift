import Sodium
import Testing
import Tokens

/// RELIABILITY.md case 13: structure, encoding and size are checked before anything is trusted.
@Suite("TokenVerifier: structure")
struct VerifierStructureTests {
    let verifier = Fixtures.verifier()

    /// A token over arbitrary header and payload segments (already encoded), validly signed.
    private func signedSegments(_ header: String, _ payload: String) -> String {
        let input = header + "." + payload
        return input + "." + Base64URL.encode(Fixtures.keyPair.signature(for: Array(input.utf8)))
    }

    @Test("anything but exactly three segments is refused")
    func segmentCounts() {
        let token = Fixtures.token()
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for bad in [
            "", ".", "..", "...", parts[0], parts[0] + "." + parts[1], token + ".", token + "." + parts[2], "." + token,
        ] {
            #expect(refusal(verifier, bad) == .malformed || refusal(verifier, bad) == .badSignature)
        }
        #expect(refusal(verifier, parts[0] + "." + parts[1]) == .malformed)
        #expect(refusal(verifier, token + "." + parts[2]) == .malformed)
        #expect(refusal(verifier, token + ".") == .malformed)
    }

    @Test("invalid base64url in the header or payload is malformed")
    func invalidBase64() {
        let header = Fixtures.b64(Fixtures.validHeader)
        let payload = Fixtures.b64(Fixtures.payload())
        #expect(refusal(verifier, signedSegments(header + "=", payload)) == .malformed)
        #expect(refusal(verifier, signedSegments("+" + header.dropFirst(), payload)) == .malformed)
        #expect(refusal(verifier, signedSegments(header, payload + "==")) == .malformed)
        #expect(refusal(verifier, signedSegments(header, payload.replacing("e", with: "+"))) == .malformed)
        #expect(refusal(verifier, signedSegments(header, payload + "\n")) == .malformed)
        #expect(refusal(verifier, signedSegments(header, payload)) == nil)
    }

    @Test("an invalid, padded, short or empty signature is a bad signature")
    func badSignatureEncodings() {
        let token = Fixtures.token()
        let signature = String(token.split(separator: ".")[2])
        let signingInput = String(token.dropLast(signature.count))
        for bad in [
            "", signature + "==", signature + "A", String(signature.dropLast(3)), "!" + signature.dropFirst(),
            signature.replacing("_", with: "/"),
        ] {
            #expect(refusal(verifier, signingInput + bad) == .badSignature)
        }
    }

    @Test("a 100 KB token is refused before decoding")
    func hugeToken() {
        let huge = Fixtures.token(
            payload: Fixtures.payload(extra: #""pad":""# + String(repeating: "x", count: 100_000) + "\""))
        #expect(huge.utf8.count > 100_000)
        #expect(refusal(verifier, huge) == .malformed)
        #expect(refusal(verifier, String(repeating: "a", count: 100_000)) == .malformed)
    }

    @Test("the size bound is inclusive at 8 KiB")
    func sizeBoundary() {
        let tokens = (5_700...6_100).map {
            Fixtures.token(payload: Fixtures.payload(extra: #""pad":""# + String(repeating: "x", count: $0) + "\""))
        }
        guard let largestAccepted = tokens.last(where: { $0.utf8.count <= 8 * 1024 }),
            let smallestRefused = tokens.first(where: { $0.utf8.count > 8 * 1024 })
        else {
            Issue.record("padding range does not straddle 8 KiB")
            return
        }
        #expect(largestAccepted.utf8.count > 8 * 1024 - 4)
        #expect(refusal(verifier, largestAccepted) == nil)
        #expect(refusal(verifier, smallestRefused) == .malformed)
    }

    @Test("a payload that is not a JSON object is malformed, after the signature checks out")
    func payloadNotObject() {
        for payload in [
            "[]", "\"user\"", "42", "{\"sub\":\"a\",\"sub\":\"b\",\"exp\":9999999999}", "{",
            "Example of Ed25519 signing",
        ] {
            #expect(refusal(verifier, Fixtures.token(payload: payload)) == .malformed)
        }
    }

    @Test("a token inside a longer string verifies through the Substring entry point")
    func substring() throws {
        let header = "Bearer " + Fixtures.token()
        let token = header.dropFirst("Bearer ".count)
        #expect(try verifier.verify(token).subject == "user-1")
    }

    @Test("the verifier is a Sendable value usable from many threads at once")
    func concurrent() async {
        let verifier = self.verifier
        let token = Fixtures.token()
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<200).allSatisfy { _ in (try? verifier.verify(token)) != nil } }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(results)
    }
}
