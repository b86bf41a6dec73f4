import AuthService
import Foundation
import Protos
import RPC
import Sodium
import Testing
import Tokens

@Suite("Restarts: rehashing and key rotation")
struct RestartTests {
    @Test("a login after the Argon2id cost rises rehashes the password", arguments: Backend.allCases)
    func rehash(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            _ = try await harness.register()
            #expect(try await harness.storedHash().hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
            var stronger = PasswordHasher.Configuration.defaults
            stronger.argon2.opsLimit = 3
            try await harness.instance(passwords: stronger) { upgraded in
                _ = try await upgraded.login()
            }
            #expect(try await harness.storedHash().hasPrefix("$argon2id$v=19$m=19456,t=3,p=1$"))
            // The old instance still verifies the stronger hash and does not weaken it.
            _ = try await harness.login()
            #expect(try await harness.storedHash().hasPrefix("$argon2id$v=19$m=19456,t=3,p=1$"))
        }
    }

    @Test(
        "after a key rotation JWKS lists current and previous keys; older tokens still verify",
        arguments: Backend.allCases)
    func keyRotation(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let before = try await harness.register()
            let rotated = try SigningKeyFiles(directory: harness.dataDirectory).rotate()
            #expect(rotated.previous.map(\.keyID) == [harness.keys.current.keyID])
            try await harness.instance { restarted in
                let jwks = try await restarted.jwks()
                #expect(jwks.keys.map(\.kid) == [rotated.current.keyID, harness.keys.current.keyID])
                let verifier = try await restarted.verifier()
                #expect(try verifier.verify(before.accessToken).keyID == harness.keys.current.keyID)
                let after = try await restarted.login()
                #expect(try verifier.verify(after.accessToken).keyID == rotated.current.keyID)
                // Sessions made before the restart go on.
                _ = try await restarted.refresh(before.refreshToken)
            }
        }
    }
}
