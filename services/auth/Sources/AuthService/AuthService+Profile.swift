import Foundation
import Protos
import RPC
import SwiftProtobuf

extension AuthService {
    /// The caller's account.
    func getUser(_ request: Halo_Auth_V1_GetUserRequest, context: ServerContext) async throws -> Halo_Auth_V1_User {
        let userID = try self.callerID(context)
        guard let user = try await self.withStore({ try await $0.user(id: userID) }) else {
            throw Self.unknownCaller
        }
        return self.userMessage(user, today: BirthDate(utcDateOf: self.clock.now()))
    }

    /// Changes the caller's display name and adult mode; only adults may turn adult mode on.
    func updateProfile(
        _ request: Halo_Auth_V1_UpdateProfileRequest, context: ServerContext
    ) async throws
        -> Halo_Auth_V1_User
    {
        let userID = try self.callerID(context)
        let displayName = request.hasDisplayName ? try AccountRules.displayName(request.displayName) : nil
        let now = self.clock.now()
        let today = BirthDate(utcDateOf: now)
        guard let current = try await self.withStore({ try await $0.user(id: userID) }) else {
            throw Self.unknownCaller
        }
        if request.hasAdultMode, request.adultMode, !AccountRules.isAdult(current.birthDate, today: today) {
            throw RPCError(code: .permissionDenied, message: "adult mode is only for users aged 18 or over")
        }
        let adultMode = request.hasAdultMode ? request.adultMode : nil
        guard displayName != nil || adultMode != nil else { return self.userMessage(current, today: today) }
        guard
            let updated = try await self.withStore({
                try await $0.updateProfile(userID: userID, displayName: displayName, adultMode: adultMode, at: now)
            })
        else { throw Self.unknownCaller }
        return self.userMessage(updated, today: today)
    }

    /// The identity names no account (deleted since its token was issued).
    static let unknownCaller = RPCError(code: .unauthenticated, message: "the account no longer exists")
}
