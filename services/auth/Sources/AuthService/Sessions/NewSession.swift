/// A refresh token just made: the text for the client and the record to store.
struct NewSession: Sendable {
    let token: String
    let record: RefreshTokenRecord
}
