import Foundation
import NIOCore

/// How a server-streaming method answers over REST, chosen by `Accept`: Server-Sent Events
/// (`text/event-stream`) or newline-delimited JSON (`application/x-ndjson`, also for `*/*`,
/// `application/json` or no `Accept`). Each message is one event or one line, written as it
/// arrives; an error after the first message ends the stream with an `error` event or a final
/// `{"error": problem}` line.
enum StreamFormat: Sendable, Hashable {
    case serverSentEvents
    case ndjson

    /// The format `accept` asks for first, or nil when it rules both out (406).
    static func negotiate(accept: String?) -> StreamFormat? {
        guard let accept, !accept.isEmpty else { return .ndjson }
        for range in accept.lowercased().split(separator: ",") {
            var parameters = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let type = parameters.isEmpty ? "" : parameters.removeFirst()
            // q=0 means "not acceptable".
            if parameters.contains(where: { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000" }) {
                continue
            }
            switch type {
            case "text/event-stream", "text/*": return .serverSentEvents
            case "application/x-ndjson", "application/json", "application/*", "*/*": return .ndjson
            default: continue
            }
        }
        return nil
    }

    var contentType: String {
        switch self {
        case .serverSentEvents: "text/event-stream"
        case .ndjson: "application/x-ndjson"
        }
    }

    /// One message (compact JSON, which never holds a raw newline) as an event or a line.
    func writeMessage(_ json: [UInt8], into out: inout ByteBuffer) {
        switch self {
        case .serverSentEvents:
            out.writeStaticString("data: ")
            out.writeBytes(json)
            out.writeStaticString("\n\n")
        case .ndjson:
            out.writeBytes(json)
            out.writeStaticString("\n")
        }
    }

    /// The error that ends a stream after its first message: a problem body as an `error` event,
    /// or as `{"error": problem}` on the last line.
    func writeError(_ problem: ByteBuffer, into out: inout ByteBuffer) {
        var problem = problem
        switch self {
        case .serverSentEvents:
            out.writeStaticString("event: error\ndata: ")
            out.writeBuffer(&problem)
            out.writeStaticString("\n\n")
        case .ndjson:
            out.writeStaticString("{\"error\":")
            out.writeBuffer(&problem)
            out.writeStaticString("}\n")
        }
    }
}
