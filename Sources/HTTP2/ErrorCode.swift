/// An HTTP/2 error code (RFC 9113 §7), as sent in RST_STREAM and GOAWAY.
package struct ErrorCode: Sendable, Hashable, CustomStringConvertible {
    package var rawValue: UInt32

    package init(_ rawValue: UInt32) { self.rawValue = rawValue }

    package static let noError = ErrorCode(0x0)
    package static let protocolError = ErrorCode(0x1)
    package static let internalError = ErrorCode(0x2)
    package static let flowControlError = ErrorCode(0x3)
    package static let settingsTimeout = ErrorCode(0x4)
    package static let streamClosed = ErrorCode(0x5)
    package static let frameSizeError = ErrorCode(0x6)
    package static let refusedStream = ErrorCode(0x7)
    package static let cancel = ErrorCode(0x8)
    package static let compressionError = ErrorCode(0x9)
    package static let connectError = ErrorCode(0xA)
    package static let enhanceYourCalm = ErrorCode(0xB)
    package static let inadequateSecurity = ErrorCode(0xC)
    package static let http11Required = ErrorCode(0xD)

    package var description: String {
        switch self.rawValue {
        case 0x0: "NO_ERROR"
        case 0x1: "PROTOCOL_ERROR"
        case 0x2: "INTERNAL_ERROR"
        case 0x3: "FLOW_CONTROL_ERROR"
        case 0x4: "SETTINGS_TIMEOUT"
        case 0x5: "STREAM_CLOSED"
        case 0x6: "FRAME_SIZE_ERROR"
        case 0x7: "REFUSED_STREAM"
        case 0x8: "CANCEL"
        case 0x9: "COMPRESSION_ERROR"
        case 0xA: "CONNECT_ERROR"
        case 0xB: "ENHANCE_YOUR_CALM"
        case 0xC: "INADEQUATE_SECURITY"
        case 0xD: "HTTP_1_1_REQUIRED"
        default: "0x\(String(self.rawValue, radix: 16))"
        }
    }
}
