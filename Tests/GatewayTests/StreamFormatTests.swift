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
        for format in [GRPCWebFormat.binary, .text] {
            let frame = format.trailerFrame([("grpc-status", "0"), ("X-Extra", "v")])
            let block = "grpc-status: 0\r\nx-extra: v\r\n"
            var expected = ByteBuffer(bytes: [0x80, 0, 0, 0, UInt8(block.utf8.count)])
            expected.writeString(block)
            #expect(frame == expected)
        }
    }

    /// PROTOCOL-WEB.md: in text mode the frame is base64 as a whole, so binary metadata skips its
    /// own base64 (padded or not, as gRPC sends it); binary mode passes values as received.
    @Test func binaryTrailersAreRawBytesInTextModeOnly() {
        let fields = [("grpc-status", "0"), ("x-detail-bin", "AAH/"), ("x-short-bin", "AQ"), ("x-text", "AQ")]
        let text = GRPCWebFormat.text.trailerFrame(fields)
        var block = ByteBuffer(string: "grpc-status: 0\r\nx-detail-bin: ")
        block.writeBytes([0x00, 0x01, 0xFF])
        block.writeString("\r\nx-short-bin: ")
        block.writeBytes([0x01])
        block.writeString("\r\nx-text: AQ\r\n")
        var expected = ByteBuffer(bytes: [0x80, 0, 0, 0, UInt8(block.readableBytes)])
        expected.writeBuffer(&block)
        #expect(text == expected)

        let binary = GRPCWebFormat.binary.trailerFrame(fields)
        let asReceived = "grpc-status: 0\r\nx-detail-bin: AAH/\r\nx-short-bin: AQ\r\nx-text: AQ\r\n"
        #expect(binary.getString(at: 5, length: binary.readableBytes - 5) == asReceived)
        // A value that is not base64 goes as received.
        let odd = GRPCWebFormat.text.trailerFrame([("x-odd-bin", "not base64!")])
        #expect(odd.getString(at: 5, length: odd.readableBytes - 5) == "x-odd-bin: not base64!\r\n")
    }
}
