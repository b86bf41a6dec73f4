import Foundation
import Logging
import Protos
import RPC
import SwiftProtobuf

extension AuthService {
    /// The one answer for any refresh token that cannot be exchanged.
    static let invalidRefreshToken = RPCError(
        code: .unauthenticated, message: "refresh token is invalid, expired or revoked")

    /// A new refresh token and its record; a new family unless `familyID` continues one.
    func newSession(userID: UUID, familyID: UUID?, parentID: UUID?, now: Date) -> NewSession {
        let (token, hash) = RefreshTokenText.make()
        let id = self.makeID(now: now)
        let record = RefreshTokenRecord(
            id: id, userID: userID, familyID: familyID ?? id, tokenHash: hash, parentID: parentID, createdAt: now,
            expiresAt: now.addingTimeInterval(Self.seconds(self.configuration.refreshTokenLifetime)))
        return NewSession(token: token, record: record)
    }

    /// Exchanges an unspent refresh token for a new pair. Presenting a spent token revokes its whole family:
    /// either the client or a thief holds a copy, and neither may go on.
    func refresh(
        _ request: Halo_Auth_V1_RefreshRequest, context: ServerContext
    ) async throws
        -> Halo_Auth_V1_TokenResponse
    {
        guard let hash = RefreshTokenText.storedHash(ofPresented: request.refreshToken) else {
            throw Self.invalidRefreshToken
        }
        let now = self.clock.now()
        guard let presented = try await self.withStore({ try await $0.refreshToken(hash: hash) }),
            presented.revokedAt == nil
        else { throw Self.invalidRefreshToken }
        if presented.spentAt != nil {
            try await self.revokeReusedFamily(presented, now: now)
        }
        guard presented.expiresAt > now,
            let user = try await self.withStore({ try await $0.user(id: presented.userID) })
        else { throw Self.invalidRefreshToken }

        let next = self.newSession(userID: user.id, familyID: presented.familyID, parentID: presented.id, now: now)
        guard try await self.withStore({ try await $0.rotate(presented, to: next.record, at: now) }) else {
            // Spent by a concurrent call between our read and our write: the same reuse.
            try await self.revokeReusedFamily(presented, now: now)
        }
        return self.tokenResponse(for: user, refreshToken: next.token, now: now)
    }

    /// Revokes the family of a token that was presented again, then refuses the call.
    private func revokeReusedFamily(_ token: RefreshTokenRecord, now: Date) async throws -> Never {
        try await self.withStore { try await $0.revokeFamily(token.familyID, at: now) }
        self.logger.warning(
            "refresh token reused; family revoked",
            metadata: ["user_id": "\(token.userID)", "family_id": "\(token.familyID)"])
        throw Self.invalidRefreshToken
    }

    /// Revokes the session's family. Unknown, malformed or already revoked tokens succeed too.
    func logout(
        _ request: Halo_Auth_V1_LogoutRequest, context: ServerContext
    ) async throws
        -> Halo_Auth_V1_LogoutResponse
    {
        guard let hash = RefreshTokenText.storedHash(ofPresented: request.refreshToken) else {
            return Halo_Auth_V1_LogoutResponse()
        }
        let now = self.clock.now()
        if let token = try await self.withStore({ try await $0.refreshToken(hash: hash) }) {
            try await self.withStore { try await $0.revokeFamily(token.familyID, at: now) }
        }
        return Halo_Auth_V1_LogoutResponse()
    }

    static func seconds(_ duration: Duration) -> Double {
        let components = duration.components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
