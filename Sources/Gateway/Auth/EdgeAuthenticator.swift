import CallerIdentity
import Foundation
import NIOHTTP1
import Tokens

/// Bearer tokens at the edge, for one event loop: the `Tokens` verifier (EdDSA only, typed
/// `at+jwt`, iss/aud/exp/nbf with bounded leeway) and a bounded cache of verified tokens, so a hot
/// token costs one dictionary lookup. No lock: each loop has its own, and the key set is replaced
/// per loop when the JWKS is refetched.
final class EdgeAuthenticator {
    /// What a request's credentials come to.
    enum Verdict {
        /// No token (allowed where the route's policy is optional or none).
        case anonymous
        case user(Identity)
        /// Refused: 401 with this detail.
        case refused(String)
        /// Signed with a key not in the set: refetch the JWKS once, then try again.
        case unknownKey(Substring)
    }

    private struct Entry {
        var identity: Identity
        var expiresAt: Int64
    }

    private(set) var verifier: TokenVerifier
    private let capacity: Int
    private let leewaySeconds: Int64
    private let now: @Sendable () -> Int64
    /// Two generations: when `recent` is full it becomes `older` and a new one starts, so memory is
    /// bounded and hot tokens stay.
    private var recent: [String: Entry] = [:]
    private var older: [String: Entry] = [:]

    init(
        configuration: TokenVerifier.Configuration, keys: TokenKeySet, capacity: Int,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        // One clock for the verifier and the cache, so a cached token expires exactly when the
        // verifier would refuse it.
        self.verifier = TokenVerifier(keys: keys, configuration: configuration, clock: TokenClock(now))
        self.capacity = max(1, capacity / 2)
        self.leewaySeconds = configuration.leeway.components.seconds
        self.now = now
    }

    /// Verified tokens held now (both generations).
    var cachedCount: Int { self.recent.count + self.older.count }

    /// Whether any key is known (before the first JWKS fetch, none is).
    var hasKeys: Bool { self.verifier.keys.count > 0 }

    /// After a JWKS refetch that left a token's key unknown: whether the answer is that keys
    /// cannot be had now (UNAVAILABLE, 503: try again) rather than that the key is unknown
    /// (UNAUTHENTICATED, 401). Only when this fetch failed and no key is known at all: with known
    /// keys, an outage keeps serving them and a key outside them is refused. One rule for REST,
    /// gRPC-Web and gRPC callers.
    func keysUnavailable(fetched: Bool) -> Bool { !fetched && !self.hasKeys }

    /// The detail of a `keysUnavailable` answer.
    static let keysUnavailableDetail = "token keys cannot be fetched now; try again"

    /// New keys from a JWKS fetch; cached verifications are dropped (a key may have been retired).
    func replaceKeys(_ keys: TokenKeySet) {
        self.verifier.keys = keys
        self.recent.removeAll(keepingCapacity: true)
        self.older.removeAll()
    }

    /// Reads the request's credentials. Tokens come only from one `Authorization: Bearer` header;
    /// a token in the query string is refused wherever it appears.
    func verdict(headers: HTTPHeaders, query: Substring) -> Verdict {
        if Self.queryCarriesToken(query) {
            return .refused("tokens are accepted only in the Authorization header")
        }
        guard headers.contains(name: "authorization") else { return .anonymous }
        let values = headers["authorization"]
        guard values.count == 1, let authorization = values.first, !authorization.contains(",") else {
            return .refused("more than one Authorization header")
        }
        guard authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return .refused("the Authorization header must be Bearer <token>")
        }
        let token = authorization.dropFirst(7).drop { $0 == " " }
        guard !token.isEmpty else { return .refused("the bearer token is empty") }
        return self.verify(token)
    }

    /// Verifies a token, from the cache when it was verified before and has not expired.
    func verify(_ token: Substring) -> Verdict {
        let key = String(token)
        let now = self.now()
        if let entry = self.recent[key] ?? self.older[key] {
            if now < entry.expiresAt &+ self.leewaySeconds { return .user(entry.identity) }
            self.recent[key] = nil
            self.older[key] = nil
            return .refused("token has expired")
        }
        let claims: VerifiedClaims
        do {
            claims = try self.verifier.verify(token)
        } catch {
            if error.code == .unknownKey { return .unknownKey(token) }
            return .refused(error.message)
        }
        guard let userID = UUID(hyphenated: claims.subject) else { return .refused("token subject is not a user id") }
        let identity = Identity(userID: userID, isAdult: claims.adult, isAdmin: claims.admin)
        if self.recent.count >= self.capacity {
            self.older = self.recent
            self.recent.removeAll(keepingCapacity: true)
        }
        self.recent[key] = Entry(identity: identity, expiresAt: claims.expiresAt)
        return .user(identity)
    }

    /// `access_token=` (or `token=`, `jwt=`) in the query: refused, never read (tokens in URLs
    /// end up in logs).
    static func queryCarriesToken(_ query: Substring) -> Bool {
        // Every name refused ends in "token" or is "jwt": most queries need no splitting.
        guard !query.isEmpty, query.utf8.contains(UInt8(ascii: "=")),
            query.range(of: "token", options: .caseInsensitive) != nil
                || query.range(of: "jwt", options: .caseInsensitive) != nil
        else { return false }
        for pair in query.split(separator: "&") {
            let name = pair.prefix { $0 != "=" }.lowercased()
            if name == "access_token" || name == "token" || name == "jwt" || name == "id_token" { return true }
        }
        return false
    }
}
