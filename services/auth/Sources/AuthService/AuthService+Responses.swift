import Foundation
import Protos
import SwiftProtobuf
import Tokens

extension AuthService {
    /// A fresh access token for `user` with the refresh token of its session.
    func tokenResponse(for user: UserRecord, refreshToken: String, now: Date) -> Halo_Auth_V1_TokenResponse {
        let today = BirthDate(utcDateOf: now)
        let claims = AccessTokenClaims(
            subject: Self.idText(user.id),
            adult: user.adultMode && AccountRules.isAdult(user.birthDate, today: today), admin: user.isAdmin)
        let signed = self.signer.sign(claims)
        return .with {
            $0.user = self.userMessage(user, today: today)
            $0.accessToken = signed.token
            $0.refreshToken = refreshToken
            $0.tokenType = "Bearer"
            $0.expiresIn = Int32(clamping: signed.expiresAt - signed.issuedAt)
        }
    }

    /// The account as its owner sees it; `is_adult` is derived from the birth date on `today`.
    func userMessage(_ user: UserRecord, today: BirthDate) -> Halo_Auth_V1_User {
        .with {
            $0.id = Self.idText(user.id)
            $0.email = user.email
            $0.username = user.username
            $0.displayName = user.displayName
            $0.birthDate = user.birthDate?.description ?? ""
            $0.isAdult = AccountRules.isAdult(user.birthDate, today: today)
            $0.adultMode = user.adultMode
            $0.isAdmin = user.isAdmin
            $0.createdAt = Google_Protobuf_Timestamp(date: user.createdAt)
        }
    }

    /// Ids on the wire: lower-case UUID text.
    static func idText(_ id: UUID) -> String {
        id.uuidString.lowercased()
    }
}
