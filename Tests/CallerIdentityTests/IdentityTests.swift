import CallerIdentity
import Foundation
import RPC
import Testing

@Suite struct IdentityTests {
    let user = UUID()

    @Test func anonymousWithoutHeaders() throws {
        let identity = try Identity(metadata: Metadata())
        #expect(identity == .anonymous)
        let error = #expect(throws: RPCError.self) { try identity.requireUser() }
        #expect(error?.code == .unauthenticated)
    }

    @Test func parsesUserAndFlags() throws {
        let identity = try Identity(
            metadata: Metadata([
                "x-halo-user-id": self.user.uuidString, "x-halo-adult": "true", "x-halo-admin": "false",
            ]))
        #expect(identity.userID == self.user)
        #expect(identity.isAdult)
        #expect(!identity.isAdmin)
        #expect(try identity.requireUser() == self.user)
        #expect(identity.mayModify(ownedBy: self.user))
        #expect(!identity.mayModify(ownedBy: UUID()))
    }

    @Test func lowerCaseIdsParseToo() throws {
        let identity = try Identity(metadata: Metadata(["x-halo-user-id": self.user.uuidString.lowercased()]))
        #expect(identity.userID == self.user)
    }

    @Test func adminMayModifyAnything() throws {
        let identity = try Identity(
            metadata: Metadata(["x-halo-user-id": self.user.uuidString, "x-halo-admin": "true"]))
        #expect(identity.isAdmin)
        #expect(identity.mayModify(ownedBy: UUID()))
    }

    @Test func flagsWithoutAUserGrantNothing() throws {
        let identity = try Identity(metadata: Metadata(["x-halo-adult": "true", "x-halo-admin": "true"]))
        #expect(identity == .anonymous)
        #expect(!identity.mayModify(ownedBy: UUID()))
    }

    @Test(arguments: [
        ["x-halo-user-id": "not-a-uuid"],
        ["x-halo-user-id": "' OR '1'='1"],
        ["x-halo-user-id": ""],
        ["x-halo-user-id": "0190a5b42c3d7e8f9a0b1c2d3e4f5a6b"],
        ["x-halo-user-id": " 0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6b"],
        ["x-halo-user-id": "{0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6b}"],
        ["x-halo-adult": "yes"],
        ["x-halo-admin": "TRUE"],
        ["x-halo-admin": "1"],
    ])
    func malformedHeadersAreUnauthenticated(_ headers: [String: String]) {
        var metadata = Metadata()
        metadata.add("x-halo-user-id", UUID().uuidString)
        for (key, value) in headers {
            metadata.remove(key)
            metadata.add(key, value)
        }
        #expect {
            try Identity(metadata: metadata)
        } throws: { error in
            (error as? RPCError)?.code == .unauthenticated
        }
    }

    @Test func repeatedHeadersAreUnauthenticated() {
        var metadata = Metadata()
        metadata.add("x-halo-user-id", UUID().uuidString)
        metadata.add("x-halo-user-id", UUID().uuidString)
        #expect {
            try Identity(metadata: metadata)
        } throws: { error in
            (error as? RPCError)?.code == .unauthenticated
        }
    }

    @Test func writtenMetadataParsesBackToTheSameIdentity() throws {
        for identity in [
            Identity(userID: self.user), Identity(userID: self.user, isAdult: true),
            Identity(userID: self.user, isAdult: true, isAdmin: true), Identity.anonymous,
        ] {
            var metadata = Metadata()
            identity.write(to: &metadata)
            #expect(try Identity(metadata: metadata) == identity)
            #expect(metadata.entries.allSatisfy { Identity.metadataKeys.contains($0.key) })
        }
        var anonymous = Metadata()
        Identity.anonymous.write(to: &anonymous)
        #expect(anonymous.entries.isEmpty)
    }
}
