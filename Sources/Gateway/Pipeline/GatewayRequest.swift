package import NIOCore
package import NIOHTTP1

/// A request as the pipeline sees it, whichever protocol brought it: the head as received, the
/// body once complete, and the id every log line and answer carries.
package struct GatewayRequest {
    /// The HTTP version spoken on the connection (1.1, or 2 for HTTP/2 streams).
    package enum Version: Sendable, Hashable {
        case http1_1
        case http2
    }

    package var version: Version
    package var method: HTTPMethod
    /// The request target as sent: path and query.
    package var target: String
    /// Header fields, with HTTP/2 pseudo-headers removed (`:authority` becomes `host`).
    package var headers: HTTPHeaders
    /// The complete body (bounded by the route's limit before it was read).
    package var body: ByteBuffer
    /// From a sane `X-Request-Id`, or made here.
    package var requestID: String
    /// When the head arrived (the loop's clock): every duration is measured from it.
    package var receivedAt: NIODeadline

    package init(
        version: Version, method: HTTPMethod, target: String, headers: HTTPHeaders, body: ByteBuffer,
        requestID: String, receivedAt: NIODeadline
    ) {
        self.version = version
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.requestID = requestID
        self.receivedAt = receivedAt
    }

    /// The path part of the target, without the query.
    package var path: Substring {
        if let question = self.questionMark { return self.target[..<question] }
        return self.target[...]
    }

    /// The query part of the target (after `?`), empty when there is none.
    package var query: Substring {
        if let question = self.questionMark { return self.target[self.target.index(after: question)...] }
        return ""
    }

    /// Where the `?` that starts the query is: a scan of the contiguous bytes (the generic
    /// `utf8.firstIndex(of:)` walks String indices, several times the cost on every request).
    private var questionMark: String.Index? {
        let utf8 = self.target.utf8
        let offset = utf8.withContiguousStorageIfAvailable { bytes in bytes.firstIndex(of: UInt8(ascii: "?")) }
        switch offset {
        case .some(.some(let offset)): return utf8.index(utf8.startIndex, offsetBy: offset)
        case .some(.none): return nil
        case .none: return utf8.firstIndex(of: UInt8(ascii: "?"))  // a bridged String
        }
    }
}
