package import Foundation
package import RPC

/// Who is calling, as the gateway forwards it in metadata after verifying the access token
/// (DESIGN.md §3): `x-halo-user-id` (a UUID), `x-halo-adult` and `x-halo-admin` (`true` or `false`).
///
/// This small module is what both sides share: the gateway writes these headers (and drops any a
/// client sent), the services read them, and neither needs the other's dependencies.
///
/// Services trust these headers only because they listen on an internal port. Without a user id
/// the caller is anonymous and the flags are ignored: a privilege needs a principal. A malformed
/// or repeated header is refused (UNAUTHENTICATED) rather than guessed at.
package struct Identity: Sendable, Hashable {
    package static let userIDKey = "x-halo-user-id"
    package static let adultKey = "x-halo-adult"
    package static let adminKey = "x-halo-admin"
    /// Every identity key: what the gateway sets, and strips from inbound requests first.
    package static let metadataKeys = [userIDKey, adultKey, adminKey]

    /// The caller's user id; nil when anonymous.
    package var userID: UUID?
    /// An adult in adult mode: may see adult content.
    package var isAdult: Bool
    /// May change anyone's resources.
    package var isAdmin: Bool

    package init(userID: UUID?, isAdult: Bool = false, isAdmin: Bool = false) {
        self.userID = userID
        self.isAdult = userID != nil && isAdult
        self.isAdmin = userID != nil && isAdmin
    }

    /// No user.
    package static var anonymous: Identity { Identity(userID: nil) }

    /// Parses the identity headers; throws UNAUTHENTICATED when one is malformed or repeated.
    package init(metadata: Metadata) throws(RPCError) {
        let userID = try Self.single(Self.userIDKey, in: metadata).map { (text: String) throws(RPCError) -> UUID in
            // Parsed from its bytes (UUID+Text.swift), not by Foundation's `sscanf`-based parser.
            guard let id = UUID(hyphenated: text) else {
                throw RPCError(code: .unauthenticated, message: "malformed \(Self.userIDKey)")
            }
            return id
        }
        let isAdult = try Self.flag(Self.adultKey, in: metadata)
        let isAdmin = try Self.flag(Self.adminKey, in: metadata)
        self.init(userID: userID, isAdult: isAdult, isAdmin: isAdmin)
    }

    /// Adds this identity's headers to `metadata` as the gateway forwards them: nothing for an
    /// anonymous caller, otherwise the lower-case user id and both flags.
    package func write(to metadata: inout Metadata) {
        guard let userID = self.userID else { return }
        metadata.add(Self.userIDKey, userID.lowercasedString)
        metadata.add(Self.adultKey, self.isAdult ? "true" : "false")
        metadata.add(Self.adminKey, self.isAdmin ? "true" : "false")
    }

    /// The caller's user id, or UNAUTHENTICATED.
    package func requireUser() throws(RPCError) -> UUID {
        guard let userID else { throw RPCError(code: .unauthenticated, message: "authentication required") }
        return userID
    }

    /// Whether the caller is the owner or an admin.
    package func mayModify(ownedBy owner: UUID) -> Bool {
        self.isAdmin || (self.userID != nil && self.userID == owner)
    }

    private static func single(_ key: String, in metadata: Metadata) throws(RPCError) -> String? {
        var found: String?
        for (entryKey, value) in metadata.entries where entryKey == key {
            guard found == nil, case .string(let text) = value else {
                throw RPCError(code: .unauthenticated, message: "repeated or binary \(key)")
            }
            found = text
        }
        return found
    }

    private static func flag(_ key: String, in metadata: Metadata) throws(RPCError) -> Bool {
        switch try self.single(key, in: metadata) {
        case nil, "false": return false
        case "true": return true
        default: throw RPCError(code: .unauthenticated, message: "\(key) must be true or false")
        }
    }
}
