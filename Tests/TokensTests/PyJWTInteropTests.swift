import Foundation
import Sodium
import Synchronization
import Testing
import Tokens

/// Interop with PyJWT, a JWT library no one here wrote (STYLE.md rule 21), through `Tests/Interop/jwt_fixtures.py`.
///
/// Needs `HALO_PYTHON`: a Python with `pip install PyJWT cryptography` (the Makefile provides one). Without it
/// these tests fail; they never skip.
@Suite("PyJWT interop")
struct PyJWTInteropTests {
    /// What our verifier must answer for each token PyJWT makes (nil: accepted).
    static let expectations: [String: TokenError.Code?] = [
        "valid": nil,
        "valid_audience_list": nil,
        "valid_within_leeway": nil,
        "expired": .expired,
        "future_nbf": .notYetValid,
        "future_iat": .notYetValid,
        "missing_exp": .malformed,
        "wrong_aud": .wrongAudience,
        "missing_aud": .wrongAudience,
        "wrong_iss": .wrongIssuer,
        "wrong_typ": .wrongType,
        "refresh_typ": .wrongType,
        "missing_kid": .unknownKey,
        "unknown_kid": .unknownKey,
        "traversal_kid": .unknownKey,
        "other_key": .badSignature,
        "tampered": .badSignature,
        "alg_none": .unsupportedAlgorithm,
        "alg_None": .unsupportedAlgorithm,
        "alg_NONE": .unsupportedAlgorithm,
        "alg_nOnE": .unsupportedAlgorithm,
        "alg_none_pyjwt": .unsupportedAlgorithm,
        "hs256_with_public_key": .unsupportedAlgorithm,
        "hs256_with_public_pem": .unsupportedAlgorithm,
    ]

    @Test("tokens made by PyJWT get the expected verdict from our verifier")
    func pyjwtTokens() async throws {
        let seed = SecureRandom.bytes(count: 32)
        let keyPair = try #require(Ed25519.KeyPair(seed: seed))
        let output = try await runFixtures(["make", "--seed", hex(seed), "--now", String(Fixtures.now)])
        let tokens = try #require(try JSONSerialization.jsonObject(with: output) as? [String: String])
        #expect(Set(tokens.keys) == Set(Self.expectations.keys))

        let verifier = TokenVerifier(
            keys: TokenKeySet(["key-1": keyPair.publicKey]),
            configuration: .init(issuer: Fixtures.issuer, audience: Fixtures.audience), clock: .fixed(Fixtures.now))
        for (name, token) in tokens.sorted(by: { $0.key < $1.key }) {
            guard let expected = Self.expectations[name] else { continue }
            #expect(refusal(verifier, token) == expected, "\(name)")
        }
        let claims = try verifier.verify(try #require(tokens["valid"]))
        #expect(claims.subject == "user-1")
        #expect(claims.adult)
        #expect(!claims.admin)
        #expect(claims.expiresAt == Fixtures.now + 900)
    }

    @Test("tokens from our signer verify with PyJWT, using our JWKS parsed by PyJWK")
    func ourTokensInPyJWT() async throws {
        let previous = SigningKey(keyPair: Ed25519.KeyPair())
        let keys = SigningKeySet(current: SigningKey(keyPair: Ed25519.KeyPair()), previous: [previous])
        let configuration = TokenSigner.Configuration(issuer: Fixtures.issuer, audience: Fixtures.audience)
        let signed = TokenSigner(keys: keys, configuration: configuration)
            .sign(AccessTokenClaims(subject: "user-7", adult: false, admin: true))
        let oldToken = TokenSigner(keys: SigningKeySet(current: previous), configuration: configuration)
            .sign(AccessTokenClaims(subject: "user-8"))

        let result = try await verifyWithPyJWT(signed.token, jwks: keys.jwksDocument)
        #expect(result["ok"] as? Bool == true, "\(result["error"] ?? "")")
        let claims = try #require(result["claims"] as? [String: Any])
        #expect(claims["sub"] as? String == "user-7")
        #expect(claims["admin"] as? Bool == true)
        #expect(claims["jti"] as? String == signed.jwtID)
        let header = try #require(result["header"] as? [String: Any])
        #expect(header["alg"] as? String == "EdDSA")
        #expect(header["typ"] as? String == "at+jwt")
        #expect(header["kid"] as? String == keys.current.keyID)

        let jwks = try #require(result["jwks"] as? [[String: Any]])
        #expect(jwks.compactMap { $0["kid"] as? String } == [keys.current.keyID, previous.keyID])
        #expect(jwks.allSatisfy { $0["algorithm"] as? String == "EdDSA" })

        let rotated = try await verifyWithPyJWT(oldToken.token, jwks: keys.jwksDocument)
        #expect(rotated["ok"] as? Bool == true, "\(rotated["error"] ?? "")")
    }

    @Test("PyJWT refuses our token once it is tampered with (the check above is not vacuous)")
    func tamperedInPyJWT() async throws {
        let keys = SigningKeySet(current: SigningKey(keyPair: Ed25519.KeyPair()))
        let signed = TokenSigner(keys: keys, configuration: .init(issuer: Fixtures.issuer, audience: Fixtures.audience))
            .sign(AccessTokenClaims(subject: "user-7"))
        let parts = signed.token.split(separator: ".").map(String.init)
        let forged = parts[0] + "." + Fixtures.b64(#"{"sub":"user-1"}"#) + "." + parts[2]
        #expect(try await verifyWithPyJWT(forged, jwks: keys.jwksDocument)["ok"] as? Bool == false)
        let wrongAudience = TokenSigner(
            keys: keys, configuration: .init(issuer: Fixtures.issuer, audience: "elsewhere")
        )
        .sign(AccessTokenClaims(subject: "user-7"))
        #expect(try await verifyWithPyJWT(wrongAudience.token, jwks: keys.jwksDocument)["ok"] as? Bool == false)
    }

    private func verifyWithPyJWT(_ token: String, jwks: String) async throws -> [String: Any] {
        let request = try JSONSerialization.data(withJSONObject: ["token": token, "jwks": jwks])
        let output = try await runFixtures(
            ["verify", "--iss", Fixtures.issuer, "--aud", Fixtures.audience], input: request)
        return try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
    }
}

/// Runs `jwt_fixtures.py` with `HALO_PYTHON`; records a failure (never a skip) when the interpreter is missing.
private func runFixtures(_ arguments: [String], input: Data = Data()) async throws -> Data {
    guard let python = ProcessInfo.processInfo.environment["HALO_PYTHON"], !python.isEmpty else {
        Issue.record(
            "HALO_PYTHON is not set: point it at a Python with `pip install PyJWT cryptography` (the Makefile does)")
        throw InteropError.noPython
    }
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop/jwt_fixtures.py")
    let result = try await runOffThePool(python, [script.path] + arguments, input: input)
    guard result.status == 0 else {
        Issue.record("jwt_fixtures.py failed: \(String(decoding: result.errors, as: UTF8.self))")
        throw InteropError.scriptFailed
    }
    return result.output
}

/// Runs a process to its end on a Dispatch thread: its blocking reads and wait must not hold a
/// thread of the concurrency pool, which every other test in the process shares.
private func runOffThePool(
    _ executable: String, _ arguments: [String], input: Data
) async throws -> (status: Int32, output: Data, errors: Data) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let stdin = Pipe()
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
            do {
                try process.run()
                stdin.fileHandleForWriting.write(input)
                try stdin.fileHandleForWriting.close()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            // stderr is drained beside stdout, so a chatty script can't fill its pipe and stall.
            let errors = Mutex(Data())
            let drained = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                let data = stderr.fileHandleForReading.readDataToEndOfFile()
                errors.withLock { $0 = data }
                drained.signal()
            }
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            drained.wait()
            process.waitUntilExit()
            continuation.resume(
                returning: (process.terminationStatus, output, errors.withLock { $0 }))
        }
    }
}

private enum InteropError: Error {
    case noPython, scriptFailed
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
