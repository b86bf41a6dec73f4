import Foundation
package import Logging
import Protos
package import RPC
import ServiceSupport
package import Tokens

/// `halo.auth.v1.AuthService`: accounts, Argon2id passwords, EdDSA access tokens and rotating refresh tokens.
///
/// Every handler validates first, then talks to the store; a store that cannot reach its database makes the
/// call fail UNAVAILABLE, never INTERNAL and never as a wrong password (and never counts as a failed login).
package final class AuthService: RPCService {
    let configuration: Configuration
    let store: any AuthStore
    let hasher: PasswordHasher
    let keys: SigningKeySet
    let signer: TokenSigner
    let clock: AuthClock
    let logger: Logger
    /// Login attempts for one account run one at a time, so a parallel burst cannot outrun the throttle.
    let loginGate: KeyedGate

    /// A service over `store`, hashing on `hasher` (the caller shuts it down) and signing with `keys.current`.
    package init(
        configuration: Configuration, store: any AuthStore, hasher: PasswordHasher, keys: SigningKeySet,
        clock: AuthClock = .system, logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.hasher = hasher
        self.keys = keys
        self.signer = TokenSigner(
            keys: keys,
            configuration: TokenSigner.Configuration(
                issuer: configuration.issuer, audience: configuration.audience,
                lifetime: configuration.accessTokenLifetime),
            clock: clock.tokenClock)
        self.clock = clock
        self.logger = logger
        var busy = Metadata()
        busy.add("retry-after", "1")
        self.loginGate = KeyedGate(
            maximumWaiters: 16,
            busyError: RPCError(
                code: .resourceExhausted, message: "too many login attempts in progress for this account; try again",
                metadata: busy))
    }

    package var serviceName: String { AuthMethods.service }

    /// Adds the seven methods to `router`.
    package func register(in router: inout Router) {
        router.unary(AuthMethods.register) { (request: Halo_Auth_V1_RegisterRequest, context) in
            try await self.register(request, context: context)
        }
        router.unary(AuthMethods.login) { (request: Halo_Auth_V1_LoginRequest, context) in
            try await self.login(request, context: context)
        }
        router.unary(AuthMethods.refresh) { (request: Halo_Auth_V1_RefreshRequest, context) in
            try await self.refresh(request, context: context)
        }
        router.unary(AuthMethods.logout) { (request: Halo_Auth_V1_LogoutRequest, context) in
            try await self.logout(request, context: context)
        }
        router.unary(AuthMethods.getUser) { (request: Halo_Auth_V1_GetUserRequest, context) in
            try await self.getUser(request, context: context)
        }
        router.unary(AuthMethods.updateProfile) { (request: Halo_Auth_V1_UpdateProfileRequest, context) in
            try await self.updateProfile(request, context: context)
        }
        router.unary(AuthMethods.getJWKS) { (request: Halo_Auth_V1_GetJWKSRequest, _) in
            self.jwks()
        }
    }
}
