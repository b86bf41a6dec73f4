import CallerIdentity
package import Foundation
import SQLKit
package import ServiceSupport

/// The auth tables through sql-kit: the same statements on SQLite and PostgreSQL, every value bound.
/// Driver errors propagate; the service classifies them (`DatabaseErrors`).
package struct SQLAuthStore: AuthStore {
    static let userColumns = [
        "id", "email", "username", "username_key", "password_hash", "display_name", "birth_date", "adult_mode",
        "is_admin", "created_at", "updated_at",
    ]
    static let tokenColumns = [
        "id", "user_id", "family_id", "token_hash", "parent_id", "replaced_by_id", "created_at", "expires_at",
        "spent_at", "revoked_at",
    ]

    private let database: ServiceDatabase

    package init(database: ServiceDatabase) {
        self.database = database
    }

    private var sql: any SQLDatabase { self.database.sql }

    // MARK: Users

    package func createUser(_ user: UserRecord, session: RefreshTokenRecord) async throws {
        do {
            try await self.database.transaction { sql in
                try await sql.insert(into: "users").columns(Self.userColumns).values(Self.values(user)).run()
                try await sql.insert(into: "refresh_tokens").columns(Self.tokenColumns).values(Self.values(session))
                    .run()
            }
        } catch  where DatabaseErrors.isUniqueViolation(error) {
            // Another registration won the race between our check and our insert.
            guard let field = try await self.takenField(email: user.email, usernameKey: user.usernameKey) else {
                throw error
            }
            throw AuthStoreError.taken(field)
        }
    }

    package func takenField(email: String, usernameKey: String) async throws -> AccountField? {
        let rows = try await self.sql.select().columns("email").from("users")
            .where("email", .equal, email)
            .orWhere("username_key", .equal, usernameKey)
            .limit(2)
            .all()
        let emails = try rows.map { try $0.decode(column: "email", as: String.self) }
        if emails.contains(email) { return .email }
        return emails.isEmpty ? nil : .username
    }

    package func user(id: UUID) async throws -> UserRecord? {
        try await self.sql.select().columns(Self.userColumns).from("users")
            .where("id", .equal, id.lowercasedString)
            .first()
            .map(Self.user)
    }

    package func user(email: String) async throws -> UserRecord? {
        try await self.sql.select().columns(Self.userColumns).from("users")
            .where("email", .equal, email)
            .first()
            .map(Self.user)
    }

    package func updateProfile(
        userID: UUID, displayName: String?, adultMode: Bool?, at: Date
    ) async throws
        -> UserRecord?
    {
        let update = self.sql.update("users")
        if let displayName { update.set("display_name", to: displayName) }
        if let adultMode { update.set("adult_mode", to: adultMode) }
        return try await update.set("updated_at", to: Self.micros(at))
            .where("id", .equal, userID.lowercasedString)
            .returning(Self.userColumns.map { SQLColumn($0) })
            .first()
            .map(Self.user)
    }

    package func updatePasswordHash(userID: UUID, passwordHash: String, at: Date) async throws {
        try await self.sql.update("users")
            .set("password_hash", to: passwordHash)
            .set("updated_at", to: Self.micros(at))
            .where("id", .equal, userID.lowercasedString)
            .run()
    }

    // MARK: Login failures

    package func loginFailures(account: String, since: Date) async throws -> [Date] {
        try await self.sql.select().column("failed_at").from("login_failures")
            .where("account_key", .equal, account)
            .where("failed_at", .greaterThan, Self.micros(since))
            .orderBy("failed_at")
            .all()
            .map { Self.date(try $0.decode(column: "failed_at", as: Int64.self)) }
    }

    /// At most this many expired failures of other accounts are deleted per recorded failure: more than the one
    /// row each failure adds, so expired rows of addresses never tried again (password spraying) cannot pile up,
    /// and each call's work stays bounded however large the backlog.
    package static let loginFailurePruneBatch = 16

    package func recordLoginFailure(account: String, at: Date, pruneBefore: Date) async throws {
        try await self.sql.delete(from: "login_failures")
            .where("account_key", .equal, account)
            .where("failed_at", .lessThan, Self.micros(pruneBefore))
            .run()
        try await self.sql.insert(into: "login_failures")
            .columns("id", "account_key", "failed_at")
            .values(SQLBind(UUIDv7.make(now: at).lowercasedString), SQLBind(account), SQLBind(Self.micros(at)))
            .run()
        // The oldest expired rows of any account, through the failed_at index.
        try await self.sql.delete(from: "login_failures")
            .where(
                SQLIdentifier("id"), .in,
                SQLGroupExpression(
                    self.sql.select().column("id").from("login_failures")
                        .where("failed_at", .lessThan, Self.micros(pruneBefore))
                        .orderBy("failed_at")
                        .limit(Self.loginFailurePruneBatch)
                        .query)
            )
            .run()
    }

    package func clearLoginFailures(account: String) async throws {
        try await self.sql.delete(from: "login_failures").where("account_key", .equal, account).run()
    }

    // MARK: Refresh tokens

    package func createSession(_ token: RefreshTokenRecord) async throws {
        try await self.sql.insert(into: "refresh_tokens").columns(Self.tokenColumns).values(Self.values(token)).run()
    }

    package func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await self.sql.select().columns(Self.tokenColumns).from("refresh_tokens")
            .where("token_hash", .equal, hash)
            .first()
            .map(Self.token)
    }

    package func rotate(_ spent: RefreshTokenRecord, to next: RefreshTokenRecord, at: Date) async throws -> Bool {
        try await self.database.transaction { sql in
            // Conditional on still being unspent: of two concurrent rotations only one matches.
            let claimed = try await sql.update("refresh_tokens")
                .set("spent_at", to: Self.micros(at))
                .set("replaced_by_id", to: next.id.lowercasedString)
                .where("id", .equal, spent.id.lowercasedString)
                .where(SQLColumn("spent_at"), .is, SQLLiteral.null)
                .where(SQLColumn("revoked_at"), .is, SQLLiteral.null)
                .returning(SQLColumn("id"))
                .first()
            guard claimed != nil else { return false }
            try await sql.insert(into: "refresh_tokens").columns(Self.tokenColumns).values(Self.values(next)).run()
            return true
        }
    }

    package func revokeFamily(_ familyID: UUID, at: Date) async throws {
        try await self.sql.update("refresh_tokens")
            .set("revoked_at", to: Self.micros(at))
            .where("family_id", .equal, familyID.lowercasedString)
            .where(SQLColumn("revoked_at"), .is, SQLLiteral.null)
            .run()
    }

    // MARK: Rows

    private static func values(_ user: UserRecord) -> [any SQLExpression] {
        [
            SQLBind(user.id.lowercasedString), SQLBind(user.email), SQLBind(user.username), SQLBind(user.usernameKey),
            SQLBind(user.passwordHash), SQLBind(user.displayName), SQLBind(user.birthDate?.description),
            SQLBind(user.adultMode), SQLBind(user.isAdmin), SQLBind(micros(user.createdAt)),
            SQLBind(micros(user.updatedAt)),
        ]
    }

    private static func values(_ token: RefreshTokenRecord) -> [any SQLExpression] {
        [
            SQLBind(token.id.lowercasedString), SQLBind(token.userID.lowercasedString),
            SQLBind(token.familyID.lowercasedString), SQLBind(token.tokenHash),
            SQLBind(token.parentID?.lowercasedString), SQLBind(token.replacedByID?.lowercasedString),
            SQLBind(micros(token.createdAt)), SQLBind(micros(token.expiresAt)), SQLBind(token.spentAt.map(micros)),
            SQLBind(token.revokedAt.map(micros)),
        ]
    }

    private static func user(_ row: any SQLRow) throws -> UserRecord {
        let birthDate = try row.decode(column: "birth_date", as: String?.self)
        return UserRecord(
            id: try self.uuid(row, "id"),
            email: try row.decode(column: "email", as: String.self),
            username: try row.decode(column: "username", as: String.self),
            passwordHash: try row.decode(column: "password_hash", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            birthDate: try birthDate.map { text in
                guard let date = BirthDate(text) else { throw CorruptRow(column: "birth_date") }
                return date
            },
            adultMode: try row.decode(column: "adult_mode", as: Bool.self),
            isAdmin: try row.decode(column: "is_admin", as: Bool.self),
            createdAt: Self.date(try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Self.date(try row.decode(column: "updated_at", as: Int64.self)))
    }

    private static func token(_ row: any SQLRow) throws -> RefreshTokenRecord {
        RefreshTokenRecord(
            id: try self.uuid(row, "id"),
            userID: try self.uuid(row, "user_id"),
            familyID: try self.uuid(row, "family_id"),
            tokenHash: try row.decode(column: "token_hash", as: String.self),
            parentID: try self.optionalUUID(row, "parent_id"),
            replacedByID: try self.optionalUUID(row, "replaced_by_id"),
            createdAt: Self.date(try row.decode(column: "created_at", as: Int64.self)),
            expiresAt: Self.date(try row.decode(column: "expires_at", as: Int64.self)),
            spentAt: try row.decode(column: "spent_at", as: Int64?.self).map(Self.date),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Self.date))
    }

    private static func uuid(_ row: any SQLRow, _ column: String) throws -> UUID {
        guard let id = try self.optionalUUID(row, column) else { throw CorruptRow(column: column) }
        return id
    }

    private static func optionalUUID(_ row: any SQLRow, _ column: String) throws -> UUID? {
        guard let text = try row.decode(column: column, as: String?.self) else { return nil }
        guard let id = UUID(uuidString: text) else { throw CorruptRow(column: column) }
        return id
    }

    /// Times are stored as microseconds since 1970.
    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func date(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }
}

/// A stored row that does not decode (a schema or data bug): INTERNAL.
struct CorruptRow: Error, CustomStringConvertible {
    var column: String
    var description: String { "stored \(self.column) does not decode" }
}
