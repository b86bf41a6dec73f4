import Protos
import RPC
import ServiceSupport
import SwiftProtobuf
import Testing

@Suite struct FieldViolationsTests {
    @Test func nothingAddedPasses() throws {
        try FieldViolations().check()
    }

    @Test func violationsTravelAsABadRequestInTheStatusDetails() throws {
        var violations = FieldViolations()
        violations.add("title", "is required")
        violations.add("tags[3]", "must be at most 32 characters")
        let error = try #require(throws: RPCError.self) { try violations.check() }
        #expect(error.code == .invalidArgument)
        #expect(error.message == "title: is required; tags[3]: must be at most 32 characters")

        let bytes = try #require(error.metadata.bytes("grpc-status-details-bin"))
        let status = try Google_Rpc_Status(serializedBytes: bytes)
        #expect(status.code == 3)
        #expect(status.message == error.message)
        #expect(status.details.count == 1)
        #expect(status.details[0].typeURL == "type.googleapis.com/google.rpc.BadRequest")
        let badRequest = try Google_Rpc_BadRequest(unpackingAny: status.details[0])
        #expect(badRequest.fieldViolations.map(\.field) == ["title", "tags[3]"])
        #expect(
            badRequest.fieldViolations.map(\.description_p) == ["is required", "must be at most 32 characters"])
    }

    @Test func aSingleViolationKeepsTheMessageItWasGiven() throws {
        let error = FieldViolations("email", "email is required").error(message: "email is required")
        #expect(error.message == "email is required")
        let status = try Google_Rpc_Status(
            serializedBytes: try #require(error.metadata.bytes("grpc-status-details-bin")))
        let badRequest = try Google_Rpc_BadRequest(unpackingAny: status.details[0])
        #expect(badRequest.fieldViolations.map(\.field) == ["email"])
    }
}
