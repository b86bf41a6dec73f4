import Protos
import SwiftProtobuf
import Testing
import Transcoding

/// Wire bytes from a backend: protobuf's merge rules, and errors (never crashes) for malformed input.
@Suite("Wire input")
struct WireInputTests {
    let transcoder = Transcoder(registry: haloRegistry)
    let video = "halo.video.v1.Video"

    @Test("the last value of a singular field wins; a message seen twice merges")
    func mergeRules() throws {
        var first = Halo_Video_V1_Video()
        first.title = "first"
        first.createdAt = Google_Protobuf_Timestamp(seconds: 100, nanos: 0)
        first.tags = ["a"]
        var second = Halo_Video_V1_Video()
        second.title = "second"
        second.createdAt = Google_Protobuf_Timestamp(seconds: 0, nanos: 5_000_000)
        second.tags = ["b"]
        let wire: [UInt8] = try first.serializedBytes() + second.serializedBytes()
        var merged = first
        try merged.merge(serializedBytes: try second.serializedBytes() as [UInt8])
        let json = try transcoder.json(wire, video)
        #expect(try Halo_Video_V1_Video(jsonString: json) == merged)
        #expect(json.contains(#""createdAt":"1970-01-01T00:01:40.005Z""#))
        #expect(json.contains(#""tags":["a","b"]"#))
    }

    @Test("fields in any order are written in field-number order; unknown fields are dropped")
    func orderAndUnknowns() throws {
        // title (3) before id (1), then an unknown field 99 (varint) and 100 (length-delimited).
        let wire: [UInt8] = [0x1A, 0x01, 0x74, 0x0A, 0x01, 0x69, 0x98, 0x06, 0x05, 0xA2, 0x06, 0x02, 0x01, 0x02]
        #expect(try transcoder.json(wire, video) == #"{"id":"i","title":"t"}"#)
    }

    @Test(
        "malformed wire bytes are errors",
        arguments: [
            ([0x0A], "/id: malformed protobuf: truncated"),
            ([0x0A, 0x05, 0x61], "malformed protobuf: truncated"),
            ([0x38, 0x80], "malformed protobuf: truncated"),
            ([0x38] + [UInt8](repeating: 0xFF, count: 10) + [0x01], "malformed protobuf: varint too long"),
            ([0x0D, 0x00, 0x00, 0x00, 0x00], "malformed protobuf: wrong wire type for field id"),
            ([0x00, 0x00], "malformed protobuf: invalid tag"),
            ([0x0F], "malformed protobuf: invalid tag"),
            ([0x0C], "malformed protobuf: unexpected end of group"),
            ([0x0A, 0x02, 0xC3, 0x28], "/id: malformed protobuf: invalid UTF-8 in a string"),
            ([0x5A, 0x02, 0x08], "/createdAt: malformed protobuf: truncated"),
            ([0xAB, 0x06, 0x08, 0x01], "malformed protobuf: truncated"),
        ] as [([UInt8], String)])
    func malformed(wire: [UInt8], expected: String) {
        do {
            _ = try transcoder.json(wire, video)
            Issue.record("accepted \(wire)")
        } catch {
            #expect(expected.hasSuffix(error.message))
        }
    }

    @Test("an unknown group is skipped, a mismatched one refused")
    func groups() throws {
        // Field 99 start group, inner varint field 1, end group 99; then id "i".
        let good: [UInt8] = [0x9B, 0x06, 0x08, 0x01, 0x9C, 0x06, 0x0A, 0x01, 0x69]
        #expect(try transcoder.json(good, video) == #"{"id":"i"}"#)
        let mismatched: [UInt8] = [0x9B, 0x06, 0x08, 0x01, 0xA4, 0x06]
        #expect(throws: TranscodingError.self) { try transcoder.json(mismatched, video) }
    }

    @Test("a timestamp out of range is an error, not a bad date")
    func timestampRange() throws {
        var video = Halo_Video_V1_Video()
        video.createdAt = Google_Protobuf_Timestamp(seconds: 253_402_300_800, nanos: 0)
        #expect(throws: TranscodingError.self) { try transcoder.json(try video.serializedBytes(), self.video) }
    }

    @Test("messages nested deeper than the limit are refused")
    func depth() throws {
        // ListValue -> Value -> ListValue ... 100 levels deep, inside UpdateVideoRequest.tags.
        var value = Google_Protobuf_Value()
        for _ in 0..<100 {
            var list = Google_Protobuf_ListValue()
            list.values = [value]
            value = Google_Protobuf_Value(listValue: list)
        }
        var update = Halo_Video_V1_UpdateVideoRequest()
        update.tags = value.listValue
        let wire: [UInt8] = try update.serializedBytes()
        #expect(throws: TranscodingError.self) { try transcoder.json(wire, "halo.video.v1.UpdateVideoRequest") }
    }
}
