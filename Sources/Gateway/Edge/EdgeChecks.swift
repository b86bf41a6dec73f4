/// Checks on a request head that need no route: target length (414), header count and size
/// (431), and header names or framing that a gateway must not pass on (400).
enum EdgeChecks {
    struct Refusal: Equatable {
        var status: Int
        var detail: String
    }

    static func refusal(for request: GatewayRequest, limits: EdgeLimits) -> Refusal? {
        if request.target.utf8.count > limits.maxTargetLength {
            return Refusal(status: 414, detail: "the request target is over \(limits.maxTargetLength) bytes")
        }
        guard request.target.utf8.first == UInt8(ascii: "/") else {
            return Refusal(status: 400, detail: "the request target must be a path")
        }
        var count = 0
        var bytes = 0
        var contentLength = 0
        var transferEncoding = false
        for (name, value) in request.headers {
            count += 1
            bytes += name.utf8.count + value.utf8.count
            // Underscores in names are how x_user_id slips past a filter for x-user-id.
            let underscore =
                name.utf8.withContiguousStorageIfAvailable { $0.contains(UInt8(ascii: "_")) }
                ?? name.utf8.contains(UInt8(ascii: "_"))
            if underscore {
                return Refusal(status: 400, detail: "header names must not contain underscores")
            }
            if name.utf8.count == 14, name.lowercased() == "content-length" { contentLength += 1 }
            if name.utf8.count == 17, name.lowercased() == "transfer-encoding" { transferEncoding = true }
        }
        if count > limits.maxHeaderCount {
            return Refusal(status: 431, detail: "more than \(limits.maxHeaderCount) header fields")
        }
        if bytes > limits.maxHeaderBytes {
            return Refusal(status: 431, detail: "header fields are over \(limits.maxHeaderBytes) bytes")
        }
        // Request smuggling: two framings, or two lengths, are refused outright.
        if contentLength > 1 || (contentLength > 0 && transferEncoding) {
            return Refusal(status: 400, detail: "conflicting Content-Length and Transfer-Encoding")
        }
        return nil
    }
}
