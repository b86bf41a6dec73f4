import Foundation
import Protos
import SwiftProtobuf
import TestProtos
import Testing
import Transcoding

/// Route tables from `google.api.http` rules: the published http.proto examples and Halo's own routes.
@Suite("Routes")
struct RouteTests {
    let table = try! RouteTable(registry: testingRegistry)
    let transcoder = Transcoder(registry: testingRegistry)

    private func lookup(_ method: String, _ path: String) throws(RouteError) -> (String, [String])? {
        guard case .matched(let route, let values) = try table.lookup(method: method, path: path[...]) else {
            return nil
        }
        return (route.method, values)
    }

    /// The request message a route builds, decoded with swift-protobuf.
    private func request<M: SwiftProtobuf.Message>(
        _ type: M.Type, _ method: String, _ path: String, query: String? = nil, body: String = ""
    ) throws -> M {
        guard case .matched(let route, let values) = try table.lookup(method: method, path: path[...]) else {
            throw RouteError(.badPath, "no route")
        }
        var output: [UInt8] = []
        try Array(body.utf8).withUnsafeBytes { body in
            try transcoder.requestToWire(route: route, variables: values, query: query?[...], body: body, into: &output)
        }
        return try M(serializedBytes: output)
    }

    private func refusal(_ method: String, _ path: String, query: String? = nil, body: String = "") -> String? {
        do {
            _ = try request(Halo_Testing_V1_GetMessageRequest.self, method, path, query: query, body: body)
            return nil
        } catch let error as TranscodingError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    @Test("http.proto: a multi-segment variable captures its literal part")
    func nameTemplate() throws {
        let request = try request(Halo_Testing_V1_GetMessageRequest.self, "GET", "/v1/books/123456")
        #expect(request.name == "books/123456")
    }

    @Test("http.proto: path variable plus query parameters, including a dotted one")
    func queryParameters() throws {
        let request = try request(
            Halo_Testing_V1_GetMessageRequest.self, "GET", "/v1/messages/123456", query: "revision=2&sub.subfield=foo")
        #expect(request.messageID == "123456")
        #expect(request.revision == 2)
        #expect(request.sub.subfield == "foo")
    }

    @Test("http.proto: additional_bindings, with a nested field bound from the path")
    func additionalBindings() throws {
        let request = try request(Halo_Testing_V1_GetMessageRequest.self, "GET", "/v1/users/me/messages/123456")
        #expect(request.messageID == "123456")
        #expect(request.sub.subfield == "me")
    }

    @Test("http.proto: body is one field, or the whole message")
    func bodies() throws {
        let update = try request(
            Halo_Testing_V1_UpdateMessageRequest.self, "PATCH", "/v1/messages/123456", body: #"{"text":"Hi!"}"#)
        #expect(update.messageID == "123456")
        #expect(update.message.text == "Hi!")
        let whole = try request(
            Halo_Testing_V1_ExampleMessage.self, "PATCH", "/v2/messages/123456", body: #"{"text":"Hi!"}"#)
        #expect(whole.messageID == "123456" && whole.text == "Hi!")
        // An empty body on a `*` route is the empty message.
        #expect(try request(Halo_Testing_V1_ExampleMessage.self, "PATCH", "/v2/messages/1").messageID == "1")
    }

    @Test("a path-bound field cannot be set again from the body or the query")
    func boundFields() {
        #expect(
            refusal("PATCH", "/v2/messages/1", body: #"{"message_id":"2"}"#)
                == "/message_id: field is already set by the request path")
        #expect(
            refusal("GET", "/v1/messages/1", query: "message_id=2")
                == "query parameter message_id sets a field the request path already sets")
        #expect(
            refusal("PATCH", "/v1/messages/1", query: "message.text=x", body: "{}")
                == "query parameter message.text sets a field the request body sets")
    }

    @Test("query parameters: repetition, enums by name, wrappers, Timestamp, Duration, optional, JSON names")
    func queryKinds() throws {
        let request = try request(
            Halo_Testing_V1_GetMessageRequest.self, "GET", "/v1/messages/1",
            query: "tags=a&tags=b%20c&numbers=1&numbers=-2&shade=SHADE_DARK&wrapped=7&since=2026-12-01T00:00:00Z"
                + "&within=1.5s&flag=false&sub.subfield=a+b")
        #expect(request.tags == ["a", "b c"])
        #expect(request.numbers == [1, -2])
        #expect(request.shade == .dark)
        #expect(request.wrapped.value == 7)
        #expect(request.since.seconds == 1_796_083_200)
        #expect(request.within.seconds == 1 && request.within.nanos == 500_000_000)
        #expect(request.hasFlag && !request.flag)
        #expect(request.sub.subfield == "a b")
        // `+` is a space, `%2B` a plus; both spellings of hex; a plain value is taken as it is.
        let decoded = try self.request(
            Halo_Testing_V1_GetMessageRequest.self, "GET", "/v1/messages/1",
            query: "tags=%2B1+2&tags=%c3%A9t%C3%a9&tags=plain&tags=&tags=%2f%2F")
        #expect(decoded.tags == ["+1 2", "été", "plain", "", "//"])
        let byNumber = try self.request(
            Halo_Testing_V1_GetMessageRequest.self, "GET", "/v1/messages/1", query: "shade=2")
        #expect(byNumber.shade == .dark)
    }

    @Test(
        "bad query parameters name themselves",
        arguments: [
            ("nope=1", "unknown query parameter nope"),
            ("sub.nope=1", "unknown query parameter sub.nope"),
            ("revision=1&revision=2", "query parameter revision given more than once"),
            ("revision=x", "query parameter revision: expected an integer"),
            ("shade=PURPLE", "query parameter shade: unknown value for enum halo.testing.v1.Shade"),
            ("flag=yes", "query parameter flag: expected true or false"),
            ("sub=x", "query parameter sub: field cannot be set from a URL"),
            ("revision=%ZZ", "query parameter is not valid percent-encoded UTF-8"),
            ("tags=%", "query parameter is not valid percent-encoded UTF-8"),
            ("tags=a%4", "query parameter is not valid percent-encoded UTF-8"),
            ("tags=%C3%28", "query parameter is not valid percent-encoded UTF-8"),
            ("tags=+%FF", "query parameter is not valid percent-encoded UTF-8"),
            ("ta%ZZgs=a", "query parameter is not valid percent-encoded UTF-8"),
        ])
    func badQueries(query: String, expected: String) {
        #expect(refusal("GET", "/v1/messages/1", query: query) == expected)
    }

    @Test("matching: literal beats variable, verbs, custom methods, ** and 405")
    func matching() throws {
        #expect(try lookup("GET", "/v1/messages/latest")?.0 == "GetLatest")
        #expect(try lookup("GET", "/v1/messages/other")?.0 == "GetMessage")
        #expect(try lookup("POST", "/v1/operations/42:cancel")?.0 == "Cancel")
        #expect(try lookup("POST", "/v1/operations/42")?.0 == nil)
        #expect(try lookup("HEAD", "/v1/probe/x")?.0 == "Probe")
        #expect(try lookup("GET", "/v1/shelves/a/b/c")?.1 == ["shelves/a/b/c"])
        #expect(try lookup("GET", "/v1/shelves")?.1 == ["shelves"])
        guard case .methodNotAllowed(let allowed) = try table.lookup(method: "DELETE", path: "/v1/messages/1") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "PATCH"])
        guard case .notFound = try table.lookup(method: "GET", path: "/v9/none") else {
            Issue.record("expected 404")
            return
        }
    }

    @Test("percent-decoding: single-segment variables decode everything, multi-segment ones keep %2F")
    func percentDecoding() throws {
        #expect(try lookup("GET", "/v1/messages/a%2Fb%20c")?.1 == ["a/b c"])
        #expect(try lookup("GET", "/v1/shelves/a%2Fb/c%20d")?.1 == ["shelves/a%2Fb/c d"])
        // A multi-segment variable keeps an encoded slash as it was sent; `+` in a path is a plus.
        #expect(try lookup("GET", "/v1/shelves/a%2fb/c+d%41")?.1 == ["shelves/a%2fb/c+dA"])
        #expect(try lookup("GET", "/v1/messages/a+b%2b")?.1 == ["a+b+"])
        #expect(throws: RouteError(.badPath, "invalid percent-encoding in path")) {
            try table.lookup(method: "GET", path: "/v1/messages/ab%4")
        }
        #expect(throws: RouteError(.badPath, "invalid percent-encoding in path")) {
            try table.lookup(method: "GET", path: "/v1/messages/%G0")
        }
        #expect(throws: RouteError(.badPath, "invalid UTF-8 in path")) {
            try table.lookup(method: "GET", path: "/v1/messages/%C3%28")
        }
    }

    @Test(
        "paths that must never reach a route are refused",
        arguments: [
            "/v1//messages", "/v1/messages/", "/v1/../admin", "/v1/./messages", "/v1/%2E%2E/x", "v1/messages", "",
            "/", "//", "/..", "/v1/messages/.", "/v1/messages/..", "/v1/messages/%2e", "/v1/messages/%2E.",
        ])
    func badPaths(path: String) {
        #expect(throws: RouteError.self) { try table.lookup(method: "GET", path: path[...]) }
    }

    @Test("a segment of three dots, or dots beside other characters, is an ordinary value")
    func dotsInsideValues() throws {
        for value in ["...", ".a", "a..", "%2E%2E%2E"] {
            guard case .matched(let route, let values) = try table.lookup(method: "GET", path: "/v1/messages/\(value)")
            else {
                Issue.record("no route for \(value)")
                continue
            }
            #expect(route.method == "GetMessage")
            #expect(values == [value.replacingOccurrences(of: "%2E", with: ".")])
        }
    }

    @Test("a path over the limit is refused as too long")
    func longPath() {
        let path = "/v1/messages/" + String(repeating: "a", count: 9000)
        #expect(throws: RouteError(.uriTooLong, "request path too long")) {
            try table.lookup(method: "GET", path: path[...])
        }
    }

    @Test("response_body answers with one field of the response")
    func responseBody() throws {
        guard case .matched(let route, _) = try table.lookup(method: "GET", path: "/v1/texts/1") else {
            Issue.record("no route")
            return
        }
        var message = Halo_Testing_V1_ExampleMessage()
        message.text = "only this"
        message.name = "not this"
        let wire: [UInt8] = try message.serializedBytes()
        var output: [UInt8] = []
        try wire.withUnsafeBytes { wire in
            try transcoder.responseToJSON(route: route, wire: wire, into: &output)
        }
        #expect(String(decoding: output, as: UTF8.self) == #""only this""#)
    }

    @Test("Halo's routes: a literal engagement metric beats the variable, short enum names reach Increment")
    func haloRoutes() throws {
        let halo = try RouteTable(registry: haloRegistry)
        let transcoder = Transcoder(registry: haloRegistry, options: .halo)
        guard case .matched(let like, _) = try halo.lookup(method: "POST", path: "/api/v1/videos/abc/engagement/likes")
        else {
            Issue.record("no route")
            return
        }
        #expect(like.method == "Like")
        guard
            case .matched(let increment, let values) = try halo.lookup(
                method: "POST", path: "/api/v1/videos/abc/engagement/views")
        else {
            Issue.record("no route")
            return
        }
        #expect(increment.method == "Increment")
        var output: [UInt8] = []
        try [UInt8]().withUnsafeBytes { body in
            try transcoder.requestToWire(route: increment, variables: values, query: nil, body: body, into: &output)
        }
        let request = try Halo_Engagement_V1_IncrementRequest(serializedBytes: output)
        #expect(request.videoID == "abc" && request.metric == .views)
        #expect(increment.grpcPath == "/halo.engagement.v1.EngagementService/Increment")
    }

    @Test("two rules that match the same paths are a load-time error naming both methods")
    func ambiguity() throws {
        var set = try HaloDescriptors.load()
        let fileIndex = try #require(set.file.firstIndex { $0.package == "halo.video.v1" })
        let methodIndex = try #require(set.file[fileIndex].service[0].method.firstIndex { $0.name == "DeleteVideo" })
        var rule = Google_Api_HttpRule()
        rule.get = "/api/v1/videos/{id}"
        set.file[fileIndex].service[0].method[methodIndex].options.Google_Api_http = rule
        let registry = try DescriptorRegistry(descriptorSet: set)
        #expect {
            try RouteTable(registry: registry)
        } throws: { error in
            let message = (error as? DescriptorError)?.message ?? ""
            return message.contains("VideoService.GetVideo") && message.contains("VideoService.DeleteVideo")
                && message.contains("halo/video/v1/video.proto")
        }
    }

    @Test("invalid templates are load-time errors naming file, method and rule")
    func badTemplates() throws {
        for pattern in ["v1/x", "/v1/{id", "/v1/**/x", "/v1/{nope}", "/v1//x", "/v1/{id}:"] {
            var set = try HaloDescriptors.load()
            let fileIndex = try #require(set.file.firstIndex { $0.package == "halo.video.v1" })
            var rule = Google_Api_HttpRule()
            rule.get = pattern
            set.file[fileIndex].service[0].method[0].options.Google_Api_http = rule
            let registry = try DescriptorRegistry(descriptorSet: set)
            #expect("\(pattern)") {
                try RouteTable(registry: registry)
            } throws: { error in
                let message = (error as? DescriptorError)?.message ?? ""
                return message.contains("halo/video/v1/video.proto") && message.contains("VideoService.")
            }
        }
    }
}
