import CallerIdentity
import Foundation
import NIOHTTP1
import Sodium
import Synchronization
import Testing
import Tokens

@testable import Gateway

/// Edge authentication on a hand-moved clock: the verdicts, the per-loop cache of verified tokens,
/// and key rotation (RELIABILITY.md cases 13-17 at the unit level; the end-to-end cases are in
/// Tests/Interop/test_gateway_rest.py).
@Suite struct EdgeAuthenticatorTests {
    final class Clock: Sendable {
        let seconds = Mutex<Int64>(1_800_000_000)
        var now: Int64 { self.seconds.withLock { $0 } }
        func advance(_ by: Int64) { self.seconds.withLock { $0 += by } }
    }

    let clock = Clock()
    let user = UUID()
    let signingKeys = SigningKeySet(current: SigningKey(keyPair: Ed25519.KeyPair()))

    func signer(_ keys: SigningKeySet) -> TokenSigner {
        let clock = self.clock
        return TokenSigner(
            keys: keys, configuration: .init(issuer: "halo-auth", audience: "halo", lifetime: .seconds(600)),
            clock: TokenClock { clock.now })
    }

    func authenticator(keys: TokenKeySet, capacity: Int = 100) -> EdgeAuthenticator {
        let clock = self.clock
        return EdgeAuthenticator(
            configuration: .init(issuer: "halo-auth", audience: "halo", leeway: .seconds(30)), keys: keys,
            capacity: capacity, now: { clock.now })
    }

    func headers(_ authorization: String?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        return headers
    }

    @Test func aValidTokenGivesItsIdentityAndIsCachedUntilItExpires() {
        let token = self.signer(self.signingKeys).sign(AccessTokenClaims(subject: self.user.uuidString, adult: true))
        let authenticator = self.authenticator(keys: self.signingKeys.verificationKeys)
        guard
            case .user(let identity) = authenticator.verdict(headers: self.headers("Bearer \(token.token)"), query: "")
        else {
            Issue.record("not accepted")
            return
        }
        #expect(identity == Identity(userID: self.user, isAdult: true))
        // From the cache: accepted up to exp + leeway, refused one second later.
        self.clock.advance(600 + 29)
        guard case .user = authenticator.verify(token.token[...]) else {
            Issue.record("refused inside the leeway")
            return
        }
        self.clock.advance(1)
        guard case .refused = authenticator.verify(token.token[...]) else {
            Issue.record("accepted after exp + leeway")
            return
        }
    }

    @Test func missingMalformedAndQueryTokens() {
        let authenticator = self.authenticator(keys: self.signingKeys.verificationKeys)
        guard case .anonymous = authenticator.verdict(headers: self.headers(nil), query: "limit=1") else {
            Issue.record("no header is anonymous")
            return
        }
        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Bearer a.b", "Bearer x.y.z"] {
            guard case .refused = authenticator.verdict(headers: self.headers(header), query: "") else {
                Issue.record("accepted \(header)")
                continue
            }
        }
        for query in ["access_token=abc", "a=1&TOKEN=x", "jwt=x", "id_token=y"] {
            guard case .refused = authenticator.verdict(headers: self.headers(nil), query: query[...]) else {
                Issue.record("accepted a token in \(query)")
                continue
            }
        }
        var two = HTTPHeaders()
        two.add(name: "Authorization", value: "Bearer a.b.c")
        two.add(name: "authorization", value: "Bearer a.b.c")
        guard case .refused = authenticator.verdict(headers: two, query: "") else {
            Issue.record("two Authorization headers accepted")
            return
        }
    }

    @Test func aRotatedKeyIsUnknownUntilTheNewKeySetArrives() {
        let rotated = SigningKeySet(
            current: SigningKey(keyPair: Ed25519.KeyPair()), previous: [self.signingKeys.current])
        let old = self.signer(self.signingKeys).sign(AccessTokenClaims(subject: self.user.uuidString))
        let new = self.signer(rotated).sign(AccessTokenClaims(subject: self.user.uuidString))
        let authenticator = self.authenticator(keys: self.signingKeys.verificationKeys)
        guard case .unknownKey = authenticator.verify(new.token[...]) else {
            Issue.record("a token of an unknown key must ask for a refetch")
            return
        }
        authenticator.replaceKeys(rotated.verificationKeys)
        guard case .user = authenticator.verify(new.token[...]), case .user = authenticator.verify(old.token[...])
        else {
            Issue.record("current and previous keys must both verify after the refetch")
            return
        }
    }

    @Test func theCacheStaysWithinItsCapacity() {
        let authenticator = self.authenticator(keys: self.signingKeys.verificationKeys, capacity: 4)
        let signer = self.signer(self.signingKeys)
        let tokens = (0..<20).map { _ in signer.sign(AccessTokenClaims(subject: UUID().uuidString)).token }
        for token in tokens {
            guard case .user = authenticator.verify(token[...]) else {
                Issue.record("refused a valid token")
                return
            }
        }
        #expect(authenticator.cachedCount <= 4)
    }
}
