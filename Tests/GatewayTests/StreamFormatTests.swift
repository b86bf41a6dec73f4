import NIOCore
import Testing

@testable import Gateway

@Suite("Streamed answers: SSE or NDJSON by Accept; gRPC-Web bodies")
struct StreamFormatTests {
    @Test(
        arguments: [
            (nil, StreamFormat.ndjson), ("", .ndjson), ("text/event-stream", .serverSentEvents),
            ("application/x-ndjson", .ndjson), ("*/*", .ndjson), ("application/json", .ndjson),
            ("text/html, text/event-stream;q=0.9", .serverSentEvents),
            ("text/event-stream;q=0, application/x-ndjson", .ndjson), ("TEXT/EVENT-STREAM", .serverSentEvents),
        ] as [(String?, StreamFormat)])
    func acceptChoosesTheFormat(accept: String?, format: StreamFormat) {
        #expect(StreamFormat.negotiate(accept: accept) == format)
    }

    @Test(arguments: ["application/xml", "text/html", "text/event-stream;q=0"])
    func anAcceptThatRulesBothOutIsRefused(accept: String) {
        #expect(StreamFormat.negotiate(accept: accept) == nil)
    }

    @Test func eventsAndLines() {
        var out = ByteBuffer()
        StreamFormat.serverSentEvents.writeMessage(Array("{\"a\":1}".utf8), into: &out)
        StreamFormat.serverSentEvents.writeError(ByteBuffer(string: "{\"status\":503}"), into: &out)
        #expect(String(buffer: out) == "data: {\"a\":1}\n\nevent: error\ndata: {\"status\":503}\n\n")
        out.clear()
        StreamFormat.ndjson.writeMessage(Array("{\"a\":1}".utf8), into: &out)
        StreamFormat.ndjson.writeError(ByteBuffer(string: "{\"status\":503}"), into: &out)
        #expect(String(buffer: out) == "{\"a\":1}\n{\"error\":{\"status\":503}}\n")
    }

    @Test(arguments: [
        ("application/grpc-web", GRPCWebFormat.binary), ("application/grpc-web+proto", .binary),
        ("application/grpc-web-text", .text), ("application/grpc-web-text+proto; charset=utf-8", .text),
    ])
    func gRPCWebContentTypes(contentType: String, format: GRPCWebFormat) {
        #expect(GRPCWebFormat(contentType: contentType) == format)
    }

    @Test func gRPCWebTextBodiesMayBePaddedInChunks() throws {
        // "ab" and "cde" each base64-encoded on their own ("YWI=" "Y2Rl"), then one more padded chunk.
        let body = ByteBuffer(string: "YWI=Y2Rl\r\nZg==")
        let decoded = try #require(GRPCWebFormat.text.decodeRequest(body))
        #expect(String(buffer: decoded) == "abcdef")
        #expect(GRPCWebFormat.text.decodeRequest(ByteBuffer(string: "not base64!")) == nil)
        #expect(GRPCWebFormat.binary.decodeRequest(ByteBuffer(string: "raw")) == ByteBuffer(string: "raw"))
    }

    @Test func theTrailerFrameIsAHeaderBlockAfterFlag0x80() {
        let frame = GRPCWebFormat.trailerFrame([("grpc-status", "0"), ("X-Extra", "v")])
        let block = "grpc-status: 0\r\nx-extra: v\r\n"
        var expected = ByteBuffer(bytes: [0x80, 0, 0, 0, UInt8(block.utf8.count)])
        expected.writeString(block)
        #expect(frame == expected)
    }
}
