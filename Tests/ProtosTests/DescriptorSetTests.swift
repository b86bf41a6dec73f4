import Protos
import SwiftProtobuf
import Testing

/// The contract of DESIGN.md §4 and the REST table of §5, read back from the committed descriptor set.
struct DescriptorSetTests {
    let descriptors: Google_Protobuf_FileDescriptorSet

    init() throws {
        self.descriptors = try HaloDescriptors.load()
    }

    static let services: [String: [String]] = [
        "halo.auth.v1.AuthService": [
            "Register", "Login", "Refresh", "Logout", "GetUser", "UpdateProfile", "GetJWKS",
        ],
        "halo.video.v1.VideoService": [
            "CreateVideo", "GetVideo", "ListVideos", "UpdateVideo", "DeleteVideo", "BatchGetVideos",
        ],
        "halo.engagement.v1.EngagementService": [
            "Increment", "Like", "Unlike", "Heartbeat", "GetCounts", "BatchGetCounts", "WatchCounts",
        ],
        "grpc.health.v1.Health": ["Check", "Watch"],
    ]

    @Test func containsProductFilesAndTheirImports() {
        let names = Set(self.descriptors.file.map(\.name))
        let expected: Set = [
            "google/protobuf/descriptor.proto", "google/protobuf/timestamp.proto", "google/protobuf/struct.proto",
            "google/api/http.proto", "google/api/annotations.proto", "grpc/health/v1/health.proto",
            "halo/auth/v1/auth.proto", "halo/video/v1/video.proto", "halo/engagement/v1/engagement.proto",
            // The rich error model the services send field violations in.
            "google/rpc/status.proto", "google/rpc/error_details.proto", "google/protobuf/any.proto",
        ]
        #expect(names == expected)
        for file in self.descriptors.file where file.name.hasPrefix("halo/") {
            #expect(file.hasSourceCodeInfo, "\(file.name) has no comments (source info)")
        }
    }

    @Test func declaresEveryServiceAndMethod() {
        var found: [String: [String]] = [:]
        for file in self.descriptors.file {
            for service in file.service {
                found["\(file.package).\(service.name)"] = service.method.map(\.name)
            }
        }
        #expect(found == Self.services)
    }

    @Test func streamingMethods() throws {
        let methods = self.descriptors.methodsByName
        let streaming = methods.filter { $0.value.method.serverStreaming || $0.value.method.clientStreaming }
        #expect(
            Set(streaming.keys) == ["halo.engagement.v1.EngagementService/WatchCounts", "grpc.health.v1.Health/Watch"])
        for entry in streaming.values {
            #expect(entry.method.serverStreaming && !entry.method.clientStreaming)
        }
    }

    @Test func restTable() {
        let expected: Set<Route> = [
            Route(verb: "POST", path: "/api/v1/auth/register", body: "*", method: "halo.auth.v1.AuthService/Register"),
            Route(verb: "POST", path: "/api/v1/auth/login", body: "*", method: "halo.auth.v1.AuthService/Login"),
            Route(verb: "POST", path: "/api/v1/auth/refresh", body: "*", method: "halo.auth.v1.AuthService/Refresh"),
            Route(verb: "POST", path: "/api/v1/auth/logout", body: "*", method: "halo.auth.v1.AuthService/Logout"),
            Route(verb: "GET", path: "/api/v1/auth/me", body: "", method: "halo.auth.v1.AuthService/GetUser"),
            Route(verb: "PATCH", path: "/api/v1/auth/me", body: "*", method: "halo.auth.v1.AuthService/UpdateProfile"),
            Route(verb: "GET", path: "/.well-known/jwks.json", body: "", method: "halo.auth.v1.AuthService/GetJWKS"),
            Route(verb: "GET", path: "/api/v1/videos", body: "", method: "halo.video.v1.VideoService/ListVideos"),
            Route(
                verb: "GET", path: "/api/v1/users/{owner_id}/videos", body: "",
                method: "halo.video.v1.VideoService/ListVideos"),
            Route(verb: "GET", path: "/api/v1/videos/{id}", body: "", method: "halo.video.v1.VideoService/GetVideo"),
            Route(verb: "POST", path: "/api/v1/videos", body: "*", method: "halo.video.v1.VideoService/CreateVideo"),
            Route(
                verb: "PATCH", path: "/api/v1/videos/{id}", body: "*", method: "halo.video.v1.VideoService/UpdateVideo"),
            Route(
                verb: "DELETE", path: "/api/v1/videos/{id}", body: "", method: "halo.video.v1.VideoService/DeleteVideo"),
            Route(
                verb: "POST", path: "/api/v1/videos/{video_id}/engagement/{metric}", body: "*",
                method: "halo.engagement.v1.EngagementService/Increment"),
            Route(
                verb: "POST", path: "/api/v1/videos/{video_id}/engagement/likes", body: "*",
                method: "halo.engagement.v1.EngagementService/Like"),
            Route(
                verb: "DELETE", path: "/api/v1/videos/{video_id}/engagement/likes", body: "",
                method: "halo.engagement.v1.EngagementService/Unlike"),
            Route(
                verb: "GET", path: "/api/v1/videos/{video_id}/engagement", body: "",
                method: "halo.engagement.v1.EngagementService/GetCounts"),
            Route(
                verb: "POST", path: "/api/v1/videos/{video_id}/watch", body: "*",
                method: "halo.engagement.v1.EngagementService/Heartbeat"),
            // Server streaming, answered as SSE or NDJSON.
            Route(
                verb: "GET", path: "/api/v1/videos/{video_id}/engagement:watch", body: "",
                method: "halo.engagement.v1.EngagementService/WatchCounts"),
        ]
        let routes = self.descriptors.routes
        #expect(routes.subtracting(expected).isEmpty, "unexpected: \(routes.subtracting(expected))")
        #expect(expected.subtracting(routes).isEmpty, "missing: \(expected.subtracting(routes))")
    }

    @Test(arguments: [
        ("halo.auth.v1.AuthService/Register", "POST", "/api/v1/auth/register", "*"),
        ("halo.auth.v1.AuthService/GetUser", "GET", "/api/v1/auth/me", ""),
        ("halo.video.v1.VideoService/GetVideo", "GET", "/api/v1/videos/{id}", ""),
        ("halo.engagement.v1.EngagementService/Unlike", "DELETE", "/api/v1/videos/{video_id}/engagement/likes", ""),
    ])
    func httpRuleReadsAsExtension(method: String, verb: String, path: String, body: String) throws {
        let entry = try #require(self.descriptors.methodsByName[method])
        let options = entry.method.options
        #expect(options.hasExtensionValue(ext: Google_Api_Extensions_http))
        let rule = try #require(options.getExtensionValue(ext: Google_Api_Extensions_http))
        #expect(rule.verb == verb)
        #expect(rule.path == path)
        #expect(rule.body == body)
        #expect(rule.responseBody == "")
    }

    @Test func listVideosHasUserBinding() throws {
        let entry = try #require(self.descriptors.methodsByName["halo.video.v1.VideoService/ListVideos"])
        let rule = entry.method.options.Google_Api_http
        #expect(rule.additionalBindings.map(\.path) == ["/api/v1/users/{owner_id}/videos"])
        #expect(rule.additionalBindings.map(\.verb) == ["GET"])
    }

    @Test func methodsWithoutRoute() {
        let unrouted = self.descriptors.methodsByName.filter { !$0.value.method.options.hasGoogle_Api_http }
        #expect(
            Set(unrouted.keys) == [
                "halo.video.v1.VideoService/BatchGetVideos",
                "halo.engagement.v1.EngagementService/BatchGetCounts",
                "grpc.health.v1.Health/Check",
                "grpc.health.v1.Health/Watch",
            ])
    }

    @Test func idempotencyLevels() {
        let levels = self.descriptors.methodsByName.mapValues { $0.method.options.idempotencyLevel }
        let reads: Set = [
            "halo.auth.v1.AuthService/GetUser", "halo.auth.v1.AuthService/GetJWKS",
            "halo.video.v1.VideoService/GetVideo", "halo.video.v1.VideoService/ListVideos",
            "halo.video.v1.VideoService/BatchGetVideos", "halo.engagement.v1.EngagementService/GetCounts",
            "halo.engagement.v1.EngagementService/BatchGetCounts", "halo.engagement.v1.EngagementService/WatchCounts",
            "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch",
        ]
        // DeleteVideo is not: a repeated delete answers NOT_FOUND, so a retry after a committed
        // delete would show the client a 404 for its own success.
        let idempotent: Set = [
            "halo.auth.v1.AuthService/Logout",
            "halo.engagement.v1.EngagementService/Like", "halo.engagement.v1.EngagementService/Unlike",
            "halo.engagement.v1.EngagementService/Heartbeat",
        ]
        for (method, level) in levels {
            var expected = Google_Protobuf_MethodOptions.IdempotencyLevel.idempotencyUnknown
            if reads.contains(method) {
                expected = .noSideEffects
            } else if idempotent.contains(method) {
                expected = .idempotent
            }
            #expect(level == expected, "\(method)")
        }
    }
}
