import Foundation
import NIOCore

/// gRPC-Web's two body encodings (gRPC's PROTOCOL-WEB.md): `application/grpc-web[+proto]` carries
/// gRPC frames as they are; `application/grpc-web-text[+proto]` carries them base64-encoded. Either
/// way the status and trailers travel as a last frame in the body (flag 0x80) holding an HTTP/1
/// style header block.
enum GRPCWebFormat: Sendable, Hashable {
    case binary
    case text

    /// The format of a request `content-type`, or nil when it is not gRPC-Web.
    init?(contentType: String) {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        switch type.lowercased() {
        case "application/grpc-web", "application/grpc-web+proto": self = .binary
        case "application/grpc-web-text", "application/grpc-web-text+proto": self = .text
        default: return nil
        }
    }

    /// The response's `content-type`.
    var contentType: String {
        switch self {
        case .binary: "application/grpc-web+proto"
        case .text: "application/grpc-web-text+proto"
        }
    }

    /// The request body as gRPC frames: itself, or base64-decoded (chunks each with their own
    /// padding are allowed, as the spec lets senders flush at any point). Nil if not base64.
    func decodeRequest(_ body: ByteBuffer) -> ByteBuffer? {
        guard case .text = self else { return body }
        var decoded = ByteBuffer()
        var segment: [UInt8] = []
        segment.reserveCapacity(body.readableBytes)
        var sawPadding = false
        for byte in body.readableBytesView {
            switch byte {
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                continue
            case UInt8(ascii: "="):
                sawPadding = true
                segment.append(byte)
            default:
                if sawPadding, segment.count % 4 == 0 {
                    // A padded chunk ended: decode it, start the next.
                    guard let data = Data(base64Encoded: Data(segment)) else { return nil }
                    decoded.writeBytes(data)
                    segment.removeAll(keepingCapacity: true)
                    sawPadding = false
                }
                segment.append(byte)
            }
        }
        if !segment.isEmpty {
            guard let data = Data(base64Encoded: Data(segment)) else { return nil }
            decoded.writeBytes(data)
        }
        return decoded
    }

    /// The trailer frame: flag 0x80, the length, then `name: value\r\n` lines (lower-case names).
    ///
    /// In text mode the whole frame is base64-encoded on its way out, so binary metadata skips
    /// its own base64 (PROTOCOL-WEB.md, "Text-encoded (response) streams", 3): a `-bin` value,
    /// which gRPC carries base64-encoded (padded or not), goes in as its raw bytes. In binary
    /// mode every value goes as received.
    func trailerFrame(_ fields: [(name: String, value: String)]) -> ByteBuffer {
        var block = ByteBuffer()
        for (name, value) in fields {
            let name = name.lowercased()
            block.writeString(name)
            block.writeStaticString(": ")
            if self == .text, name.hasSuffix("-bin"), let raw = Self.decodeBinaryHeader(value) {
                block.writeBytes(raw)
            } else {
                block.writeString(value)
            }
            block.writeStaticString("\r\n")
        }
        var frame = ByteBuffer()
        frame.reserveCapacity(block.readableBytes + 5)
        frame.writeInteger(UInt8(0x80))
        frame.writeInteger(UInt32(block.readableBytes))
        frame.writeBuffer(&block)
        return frame
    }
}

extension GRPCWebFormat {
    /// The bytes of a `-bin` header value: base64, with or without padding (gRPC's HTTP/2
    /// mapping lets senders leave it out); nil when it is not base64.
    static func decodeBinaryHeader(_ value: String) -> Data? {
        var text = value.trimmingCharacters(in: .whitespaces)
        switch text.utf8.count % 4 {
        case 2: text += "=="
        case 3: text += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: text)
    }
}

/// Base64 of a byte stream written in parts, each part padded on its own: a text-mode response
/// is flushed as its messages arrive, and the spec has clients accept padding between parts.
enum GRPCWebText {
    static func encode(_ bytes: ByteBuffer) -> ByteBuffer {
        let encoded = Data(bytes.readableBytesView).base64EncodedData()
        return ByteBuffer(bytes: encoded)
    }
}
