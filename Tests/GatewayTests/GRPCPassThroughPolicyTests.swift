import HTTP2
import RPC
import Testing

@testable import Gateway

@Suite("gRPC pass-through: what is a gRPC call, where it goes, which metadata passes")
struct GRPCPassThroughPolicyTests {
    @Test(arguments: [
        ("application/grpc", true), ("application/grpc+proto", true), ("application/grpc+json", true),
        ("application/grpc; charset=utf-8", true), ("application/grpc-web", false),
        ("application/grpc-web+proto", false), ("application/grpc-web-text", false), ("application/json", false),
        ("application/grpcx", false),
    ])
    func contentTypes(contentType: String, isGRPC: Bool) {
        #expect(GatewayPipeline.isGRPC(contentType: contentType) == isGRPC)
    }

    @Test(arguments: [
        ("/halo.video.v1.VideoService/GetVideo", "halo.video.v1.VideoService"),
        ("/a.B/C", "a.B"),
        ("/NoPackage/Call", "NoPackage"),
    ])
    func theServiceIsThePathBeforeTheMethod(path: String, service: String) {
        #expect(GRPCPassThroughStream.service(of: path) == service)
    }

    @Test(arguments: ["", "/", "//Method", "/a.B/", "a.B/C", "/a.B"])
    func pathsThatNameNoMethodAreRefused(path: String) {
        #expect(GRPCPassThroughStream.service(of: path) == nil)
    }

    static let received: [Header] = [
        Header(":method", "POST"), Header(":path", "/a.B/C"), Header(":authority", "gateway"),
        Header(":scheme", "http"), Header("content-type", "application/grpc"), Header("te", "trailers"),
        Header("grpc-timeout", "1S"), Header("authorization", "Bearer t"), Header("x-halo-user-id", "forged"),
        Header("x-halo-admin", "true"), Header("x-request-id", "r1"), Header("x-custom", "kept"),
        Header("connection", "close"),
    ].map { header in
        // As received: names classified into tokens.
        var header = header
        header.token = HeaderToken.known.first { $0.name == header.name }?.token ?? .other
        return header
    }

    @Test func identityAndCredentialsDoNotPassFromAnUntrustedCaller() {
        for policy in [GatewayConfiguration.GRPCAuthPolicy.required, .optional, .none] {
            let names = GRPCPassThroughStream.forwardedHeaders(Self.received, policy: policy).map(\.name)
            #expect(names == ["content-type", "te", "x-custom"], "\(policy)")
        }
    }

    @Test func aTrustedCallersMetadataPassesUntouched() {
        let names = GRPCPassThroughStream.forwardedHeaders(Self.received, policy: .trusted).map(\.name)
        #expect(names == ["content-type", "te", "authorization", "x-halo-user-id", "x-halo-admin", "x-custom"])
    }

    @Test func aStatusAnsweredHereIsATrailersOnlyResponse() {
        let fields = GRPCPassThroughStream.status(.unauthenticated, "no token ✓", headOnly: true)
        #expect(fields.map(\.name) == [":status", "content-type", "grpc-status", "grpc-message"])
        #expect(fields[2].value == "16")
        #expect(fields[3].value == "no token %E2%9C%93")
    }
}
