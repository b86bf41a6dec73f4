import HTTP2
import NIOCore
import Testing

@testable import RPC

@Suite("gRPC wire format")
struct WireFormatTests {
    @Test(
        "grpc-timeout values parse in every unit",
        arguments: [
            ("1H", Duration.seconds(3600)), ("2M", .seconds(120)), ("3S", .seconds(3)), ("250m", .milliseconds(250)),
            ("7u", .microseconds(7)), ("99999999n", .nanoseconds(99_999_999)),
        ])
    func timeoutParses(value: String, expected: Duration) {
        #expect(Timeout.parse(value) == expected)
    }

    @Test("malformed grpc-timeout values are refused", arguments: ["", "S", "100", "123456789S", "1x", "-1S", "1.5S"])
    func timeoutRejects(value: String) {
        #expect(Timeout.parse(value) == nil)
    }

    @Test("timeouts encode in at most 8 digits, never shorter than asked")
    func timeoutEncodes() {
        #expect(Timeout.encode(.milliseconds(200)) == "200000u")
        #expect(Timeout.encode(.seconds(30)) == "30000000u")
        #expect(Timeout.encode(.seconds(1000)) == "1000000m")
        #expect(Timeout.encode(.nanoseconds(1_500)) == "1500n")
        // The per-call form: the finest unit within 8 digits, rounded up, never a shorter budget.
        #expect(Timeout.encode(nanoseconds: 99_999_999) == "99999999n")
        #expect(Timeout.encode(nanoseconds: 100_000_000) == "100000u")
        #expect(Timeout.encode(nanoseconds: 100_000_001) == "100001u")
        #expect(Timeout.encode(nanoseconds: 5_000_000_000) == "5000000u")
        #expect(Timeout.encode(nanoseconds: 0) == "0n")
        #expect(Timeout.encode(nanoseconds: 1) == "1n")
        #expect(Timeout.encode(.seconds(86400 * 365 * 1000)) == "8760000H")
        #expect(Timeout.parse(Timeout.encode(.milliseconds(1234)))! >= .milliseconds(1234))
    }

    @Test("grpc-message percent-encoding round-trips any text")
    func percentEncoding() {
        for message in ["plain", "100% sure", "non-ASCII: ✓ é 日本", "line\nbreak", ""] {
            let encoded = PercentEncoding.encode(message)
            #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E })
            #expect(PercentEncoding.decode(encoded) == message)
        }
        #expect(PercentEncoding.decode("bad %zz escape %") == "bad %zz escape %")
    }

    @Test("messages split at every byte boundary deframe the same")
    func deframerSplits() throws {
        var wire = ByteBuffer()
        let messages = ["a", "", String(repeating: "x", count: 300), "last"]
        for message in messages {
            wire.writeInteger(UInt8(0))
            wire.writeInteger(UInt32(message.utf8.count))
            wire.writeString(message)
        }
        for split in 0...wire.readableBytes {
            var deframer = MessageDeframer(maxMessageSize: 1024)
            var received: [String] = []
            let first = wire.getSlice(at: 0, length: split)!
            let second = wire.getSlice(at: split, length: wire.readableBytes - split)!
            for chunk in [first, second] {
                try deframer.feed(chunk) { received.append(String(buffer: $0)) }
            }
            #expect(received == messages)
            #expect(deframer.isEmpty)
        }
    }

    @Test("a message over the limit is refused from its prefix, before buffering")
    func deframerLimit() {
        var deframer = MessageDeframer(maxMessageSize: 100)
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt8(0))
        prefix.writeInteger(UInt32(101))
        var delivered = 0
        let error = #expect(throws: RPCError.self) { try deframer.feed(prefix) { _ in delivered += 1 } }
        #expect(error?.code == .resourceExhausted)
        #expect(delivered == 0)
    }

    @Test("compressed and malformed flags are refused")
    func deframerFlags() {
        for (flag, code) in [(UInt8(1), RPCError.Code.unimplemented), (2, .internal)] {
            var deframer = MessageDeframer(maxMessageSize: 100)
            var message = ByteBuffer()
            message.writeInteger(flag)
            message.writeInteger(UInt32(1))
            message.writeInteger(UInt8(0))
            do {
                try deframer.feed(message) { _ in }
                Issue.record("flag \(flag) accepted")
            } catch {
                #expect(error.code == code)
            }
        }
    }

    @Test("binary metadata travels as base64, padded or not")
    func binaryMetadata() {
        var metadata = Metadata()
        let padded = metadata.addReceived(name: "x-id-bin", value: "AAH/")
        let unpadded = metadata.addReceived(name: "x-short-bin", value: "AAE")
        let invalid = metadata.addReceived(name: "x-bad-bin", value: "!!!")
        #expect(padded && unpadded && !invalid)
        #expect(metadata.bytes("x-id-bin") == [0x00, 0x01, 0xFF])
        #expect(metadata.bytes("x-short-bin") == [0x00, 0x01])
        #expect(Metadata.wireValue(.binary([0x00, 0x01, 0xFF])) == "AAH/")
        #expect(HeaderToken.grpcTimeout.isProtocol && HeaderToken.path.isProtocol && !HeaderToken.other.isProtocol)
    }

    @Test("metadata keys are lowercased as added, whatever case they come in")
    func metadataKeysAreLowercased() {
        var metadata = Metadata()
        metadata.add("x-request-id", "a")
        metadata.add("X-Mixed-Case", "b")
        metadata.add("x-\u{C9}t\u{C9}", "c")
        metadata.add("X-Data-bin", bytes: [1])
        #expect(metadata.entries.map(\.key) == ["x-request-id", "x-mixed-case", "x-\u{E9}t\u{E9}", "x-data-bin"])
        #expect(metadata["x-mixed-case"] == "b")
    }

    @Test("status codes outside 0...16 read as UNKNOWN; names are canonical")
    func statusCodes() {
        #expect(RPCError.Code(rawValue: 42) == .unknown)
        #expect(RPCError.Code.invalidArgument.name == "INVALID_ARGUMENT")
        #expect(RPCError.Code.unauthenticated.rawValue == 16)
    }
}
