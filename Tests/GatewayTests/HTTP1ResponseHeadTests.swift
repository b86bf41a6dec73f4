import NIOCore
import Testing

@testable import Gateway

@Suite("HTTP/1.1 response head")
struct HTTP1ResponseHeadTests {
    private func head(_ response: GatewayResponse, requestID: String = "", keepAlive: Bool = true) -> String {
        var out = ByteBuffer(string: "before|")
        HTTP1ResponseHead.write(response, requestID: requestID, keepAlive: keepAlive, into: &out)
        return String(buffer: out)
    }

    @Test("status line, fields in order, content-length, request id, blank line, after what was there")
    func fullHead() {
        let response = GatewayResponse(
            status: 201, headers: [("content-type", "application/json"), ("location", "/api/v1/videos/7")],
            body: ByteBuffer(string: "{\"id\":7}"))
        #expect(
            self.head(response, requestID: "0f3c-request")
                == "before|HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nlocation: /api/v1/videos/7\r\n"
                + "content-length: 8\r\nx-request-id: 0f3c-request\r\n\r\n")
    }

    @Test("204 has no content-length; a closing connection says so")
    func noContentAndClose() {
        #expect(
            self.head(GatewayResponse(status: 204), requestID: "r", keepAlive: false)
                == "before|HTTP/1.1 204 No Content\r\nx-request-id: r\r\nconnection: close\r\n\r\n")
    }

    @Test("long and non-ASCII values are copied whole; no request id, no field")
    func longValues() {
        let long = String(repeating: "é-0123456789", count: 200)
        let response = GatewayResponse(status: 503, headers: [("warning", long)], body: ByteBuffer())
        #expect(
            self.head(response)
                == "before|HTTP/1.1 503 Service Unavailable\r\nwarning: \(long)\r\ncontent-length: 0\r\n\r\n")
    }
}
