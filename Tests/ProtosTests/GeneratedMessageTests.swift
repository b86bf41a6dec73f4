import Foundation
import Protos
import SwiftProtobuf
import TestProtos
import Testing

/// The generated messages compile, encode and keep field presence where the contract relies on it.
struct GeneratedMessageTests {
    @Test func updateVideoDistinguishesAbsentFromEmpty() throws {
        var request = Halo_Video_V1_UpdateVideoRequest()
        request.id = "0b7c6f0e-1b7e-4c44-9c1f-6d1a4f1f2d10"
        request.title = ""
        let decoded = try Halo_Video_V1_UpdateVideoRequest(serializedBytes: request.serializedBytes() as [UInt8])
        #expect(decoded.hasTitle)
        #expect(!decoded.hasDescription_p)
        #expect(!decoded.hasTags)

        var clearTags = Halo_Video_V1_UpdateVideoRequest()
        clearTags.tags = Google_Protobuf_ListValue()
        let json = try clearTags.jsonString()
        #expect(json == #"{"tags":[]}"#)
        #expect(try Halo_Video_V1_UpdateVideoRequest(jsonString: json).hasTags)
    }

    @Test func listVideosLiveFilterHasPresence() throws {
        var request = Halo_Video_V1_ListVideosRequest()
        #expect(!request.hasLive)
        request.live = false
        let decoded = try Halo_Video_V1_ListVideosRequest(serializedBytes: request.serializedBytes() as [UInt8])
        #expect(decoded.hasLive && decoded.live == false)
    }

    @Test func testServiceMessagesRoundTrip() throws {
        var request = Halo_Testing_V1_EchoRequest()
        request.message = "hi"
        request.payload = Data([1, 2, 3])
        request.responseCount = 3
        request.delayMs = 10
        request.failCode = 4
        request.failMessage = "late"
        #expect(try Halo_Testing_V1_EchoRequest(serializedBytes: request.serializedBytes() as [UInt8]) == request)

        var response = Halo_Testing_V1_EchoResponse()
        response.index = 2
        response.metadata = ["x-halo-test": "1"]
        #expect(try Halo_Testing_V1_EchoResponse(serializedBytes: response.serializedBytes() as [UInt8]) == response)

        let video = Halo_Testing_V1_Video.with {
            $0.id = 7
            $0.title = "t"
            $0.views = 1 << 40
            $0.live = true
        }
        // Same wire bytes as the Go peer's demo.v1.Video: fields 1-4, varint/len/varint/varint.
        #expect(
            try video.serializedBytes() as [UInt8] == [
                0x08, 7, 0x12, 1, 0x74, 0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x20, 1,
            ])
    }
}
