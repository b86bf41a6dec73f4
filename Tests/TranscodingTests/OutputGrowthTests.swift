import Foundation
import Protos
import SwiftProtobuf
import TestProtos
import Testing
import Transcoding

/// The encoders write into capacity reserved in the caller's array and move to memory of their own when the
/// output outgrows it (`ByteWriter`): output several times the reservation, appended after bytes the caller
/// already holds, must come out whole and in place.
@Suite("Output beyond the reservation")
struct OutputGrowthTests {
    let strict = Transcoder(registry: haloRegistry)

    /// A video whose title is 400 control characters: 6 bytes of JSON (`\u0001`) for each byte of wire.
    static func escapedVideo() -> Halo_Video_V1_Video {
        var video = Halo_Video_V1_Video()
        video.id = "v1"
        video.title = String(repeating: "\u{1}", count: 400)
        video.tags = Array(repeating: "\u{2}\u{3}", count: 50)
        return video
    }

    @Test("wire -> JSON many times larger than the wire, after existing bytes, reads back as the same message")
    func wireToJSONGrows() throws {
        let video = Self.escapedVideo()
        let wire: [UInt8] = try video.serializedBytes()
        let index = haloRegistry.messageIndex(named: Halo_Video_V1_Video.protoMessageName)!
        var output = Array("prefix".utf8)
        try wire.withUnsafeBytes { try strict.wireToJSON($0, messageIndex: index, into: &output) }
        #expect(output.count > wire.count * 4)
        #expect(Array(output.prefix(6)) == Array("prefix".utf8))
        #expect(try Halo_Video_V1_Video(jsonUTF8Bytes: Array(output.dropFirst(6))) == video)
    }

    @Test("JSON -> wire larger than the JSON (ten varint bytes for each -1) reads back as the same message")
    func jsonToWireGrows() throws {
        var message = Halo_Testing_V1_AllKinds()
        message.rInt32 = Array(repeating: -1, count: 200)
        let json = Array(("{\"rInt32\":[" + Array(repeating: "-1", count: 200).joined(separator: ",") + "]}").utf8)
        let index = testingRegistry.messageIndex(named: Halo_Testing_V1_AllKinds.protoMessageName)!
        var output = Array(repeating: UInt8(7), count: 3)
        try json.withUnsafeBytes {
            try Transcoder(registry: testingRegistry).jsonToWire($0, messageIndex: index, into: &output)
        }
        #expect(output.count > json.count * 3)
        #expect(Array(output.prefix(3)) == [7, 7, 7])
        #expect(try Halo_Testing_V1_AllKinds(serializedBytes: Array(output.dropFirst(3))) == message)
    }

    @Test("an error leaves the caller's bytes as they were")
    func errorKeepsOutput() {
        let json = Array(#"{"title":"ok","durationSeconds":"x"}"#.utf8)
        let index = haloRegistry.messageIndex(named: Halo_Video_V1_Video.protoMessageName)!
        var output = Array("kept".utf8)
        let outcome = json.withUnsafeBytes { json in
            Result { () throws(TranscodingError) in try strict.jsonToWire(json, messageIndex: index, into: &output) }
        }
        #expect(throws: TranscodingError.self) { try outcome.get() }
        #expect(output == Array("kept".utf8))
    }
}
