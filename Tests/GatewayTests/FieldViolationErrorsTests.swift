import Gateway
import NIOCore
import Protos
import SwiftProtobuf
import Testing
import Transcoding

/// A backend's `google.rpc.BadRequest` rendered as problem `errors`: pointers into the body as
/// the client spelled it, parameters for what the path or query carried.
@Suite struct FieldViolationErrorsTests {
    let state: GatewayState

    init() throws {
        self.state = try GatewayState(
            configuration: try GatewayConfiguration.haloDefault(), descriptorSet: try HaloDescriptors.serialized())
    }

    func route(_ method: String, _ path: String) throws -> Route {
        guard case .matched(let route, _) = try self.state.routes.lookup(method: method, path: path[...]) else {
            Issue.record("no route for \(method) \(path)")
            throw CancellationError()
        }
        return route
    }

    func details(_ violations: [(String, String)]) throws -> [UInt8] {
        let badRequest = Google_Rpc_BadRequest.with { request in
            request.fieldViolations = violations.map { field, description in
                .with {
                    $0.field = field
                    $0.description_p = description
                }
            }
        }
        let status = Google_Rpc_Status.with {
            $0.code = 3
            $0.details = [try! Google_Protobuf_Any(message: badRequest)]
        }
        return try status.serializedBytes()
    }

    func errors(
        _ violations: [(String, String)], _ method: String, _ path: String, body: String
    ) throws -> [Problem.FieldError] {
        FieldViolationErrors.errors(
            details: try self.details(violations), route: try self.route(method, path),
            transcoder: self.state.transcoder, body: ByteBuffer(string: body))
    }

    @Test func bodyFieldsBecomePointersWithIndexes() throws {
        let errors = try self.errors(
            [("title", "is required"), ("tags[1]", "must not be blank")], "POST", "/api/v1/videos",
            body: #"{"title":"","tags":["live"," "]}"#)
        #expect(
            errors == [
                Problem.FieldError(pointer: "/title", detail: "is required"),
                Problem.FieldError(pointer: "/tags/1", detail: "must not be blank"),
            ])
    }

    @Test func pointersUseTheNameTheClientSent() throws {
        let camel = try self.errors(
            [("display_name", "display name must be 1-64 characters")], "POST", "/api/v1/auth/register",
            body: #"{"email":"a@b.c","displayName":"","password":"x"}"#)
        #expect(camel.map(\.pointer) == ["/displayName"])
        let proto = try self.errors(
            [("display_name", "display name must be 1-64 characters")], "POST", "/api/v1/auth/register",
            body: #"{"email":"a@b.c","display_name":"","password":"x"}"#)
        #expect(proto.map(\.pointer) == ["/display_name"])
    }

    @Test func aFieldNotSentIsNamedInTheOutputForm() throws {
        let errors = try self.errors(
            [("birth_date", "birth date must be a real date as YYYY-MM-DD")], "POST", "/api/v1/auth/register",
            body: #"{"email":"a@b.c"}"#)
        #expect(errors.map(\.pointer) == ["/birth_date"])
        #expect(errors.map(\.parameter) == [nil])
    }

    @Test func pathAndQueryFieldsAreParameters() throws {
        let path = try self.errors(
            [("id", "must be a UUID")], "PATCH", "/api/v1/videos/not-a-uuid", body: #"{"title":"x"}"#)
        #expect(path == [Problem.FieldError(parameter: "id", detail: "must be a UUID")])
        let query = try self.errors([("limit", "must be 1 to 100")], "GET", "/api/v1/videos", body: "")
        #expect(query == [Problem.FieldError(parameter: "limit", detail: "must be 1 to 100")])
    }

    @Test func detailsThatAreNotAStatusGiveNoErrors() throws {
        let errors = FieldViolationErrors.errors(
            details: [0xFF, 0xFF, 0xFF], route: try self.route("POST", "/api/v1/videos"),
            transcoder: self.state.transcoder, body: ByteBuffer())
        #expect(errors.isEmpty)
    }

    @Test func aLongListIsCut() throws {
        let violations = (0..<80).map { ("tags[\($0)]", "bad") }
        let errors = try self.errors(violations, "POST", "/api/v1/videos", body: "{}")
        #expect(errors.count == FieldViolationErrors.maximumCount)
    }
}
