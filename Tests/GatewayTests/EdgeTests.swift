import Gateway
import HTTP2
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The edge over real sockets with a small pipeline of its own (no backend): framing, limits,
/// request ids, pipelining, and HTTP/1.1 and HTTP/2 on one port.
@Suite("Gateway edge: HTTP/1.1 and HTTP/2 on one port")
struct EdgeTests {
    @Test func answersWithARequestIDAndKeepsTheConnection() async throws {
        try await EdgeHarness.with { edge in
            let replies = try await edge.send(
                "GET /echo HTTP/1.1\r\nhost: x\r\n\r\nGET /echo HTTP/1.1\r\nhost: x\r\n\r\n", expect: 2)
            #expect(replies.count == 2)
            #expect(replies.allSatisfy { $0.status == 200 && $0.body == "ok" })
            let ids = replies.compactMap { $0.headers["x-request-id"] }
            #expect(ids.count == 2 && ids[0] != ids[1])
            #expect(replies.allSatisfy { $0.headers["connection"] == nil })
        }
    }

    @Test func aSaneClientRequestIDIsEchoedAndAnInsaneOneReplaced() async throws {
        try await EdgeHarness.with { edge in
            let sane = try await edge.send("GET /echo HTTP/1.1\r\nhost: x\r\nx-request-id: abc-123.X:9\r\n\r\n")
            #expect(sane.first?.headers["x-request-id"] == "abc-123.X:9")
            let insane = try await edge.send("GET /echo HTTP/1.1\r\nhost: x\r\nx-request-id: a b<script>\r\n\r\n")
            #expect(insane.first?.headers["x-request-id"].map { $0 != "a b<script>" && !$0.isEmpty } == true)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await EdgeHarness.with { edge in
            var bytes = ""
            for index in 0..<5 {
                bytes +=
                    "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nx-request-id: r\(index)\r\n\r\n\(index)\(index)"
            }
            let replies = try await edge.send(bytes, expect: 5)
            #expect(replies.map(\.body) == ["00", "11", "22", "33", "44"])
            #expect(replies.map { $0.headers["x-request-id"] } == ["r0", "r1", "r2", "r3", "r4"])
        }
    }

    @Test(arguments: [
        // Request smuggling: two framings, two lengths.
        ("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc", 400),
        ("GET /echo HTTP/1.1\r\nhost: x\r\nx_user_id: 1\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 17\r\n\r\n01234567890123456", 413),
        ("GET /\(String(repeating: "a", count: 5000)) HTTP/1.1\r\nhost: x\r\n\r\n", 414),
        ("GET /echo HTTP/1.1\r\n" + (0..<101).map { "h\($0): v\r\n" }.joined() + "\r\n", 431),
        ("BLAH\r\n\r\n", 400),
    ])
    func badRequestsGetTheirStatusAndTheConnectionCloses(request: String, status: Int) async throws {
        try await EdgeHarness.with { edge in
            let replies = try await edge.send(request + "GET /echo HTTP/1.1\r\nhost: x\r\n\r\n", expect: 2)
            // One answer, then close: nothing after a refused request is read as a request.
            #expect(replies.map(\.status) == [status])
            #expect(replies.first?.headers["connection"] == "close")
            #expect(replies.first?.headers["content-type"] == "application/problem+json")
        }
    }

    @Test func aChunkedBodyOverTheLimitIs413() async throws {
        try await EdgeHarness.with { edge in
            let chunk = String(repeating: "z", count: 10)
            let replies = try await edge.send(
                "POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\na\r\n\(chunk)\r\na\r\n\(chunk)\r\n0\r\n\r\n"
            )
            #expect(replies.map(\.status) == [413])
        }
    }

    @Test func anEarlyAnswerLeavesTheConnectionUsable() async throws {
        try await EdgeHarness.with { edge in
            let replies = try await edge.send(
                "POST /missing HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabcGET /echo HTTP/1.1\r\nhost: x\r\n\r\n",
                expect: 2)
            #expect(replies.map(\.status) == [404, 200])
        }
    }

    @Test func requestsWaitingBehindASlowAnswerAreAllAnswered() async throws {
        try await EdgeHarness.with { edge in
            // The 404 is answered early while its body is still among the waiting parts: those
            // parts must still be read and dropped, and the request after it answered.
            let replies = try await edge.send(
                "GET /slow HTTP/1.1\r\nhost: x\r\n\r\n"
                    + "POST /missing HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nabcde"
                    + "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok",
                expect: 3)
            #expect(replies.map(\.status) == [200, 404, 200])
            #expect(replies.map(\.body).first == "slow")
            #expect(replies.last?.body == "ok")
        }
    }

    @Test func http2WithPriorKnowledgeOnTheSamePort() async throws {
        try await EdgeHarness.with { edge in
            let (status, body, requestID) = try await edge.http2Request(method: "POST", path: "/echo", body: "h2")
            #expect(status == "200")
            #expect(body == "h2")
            #expect(requestID?.isEmpty == false)
        }
    }
}
