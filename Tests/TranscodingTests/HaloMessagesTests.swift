import Foundation
import Protos
import SwiftProtobuf
import Testing
import Transcoding

/// Halo's own messages through the descriptor-driven transcoder, checked against swift-protobuf's typed codec.
@Suite("Halo messages")
struct HaloMessagesTests {
    static func sampleVideo(_ number: Int = 1) -> Halo_Video_V1_Video {
        var video = Halo_Video_V1_Video()
        video.id = "0190a6f4-6c1e-7cc2-8d7e-\(String(format: "%012d", number))"
        video.ownerID = "0190a6f4-6c1e-7cc2-8d7e-00000000beef"
        video.title = "Live from the \"harbour\" — day \(number) 🎥"
        video.description_p = "Line one\nLine two\twith a tab and a backslash \\ and é"
        video.thumbnailURL = "https://cdn.example.com/thumbs/\(number).jpg"
        video.streamURL = "https://cdn.example.com/live/\(number)/index.m3u8"
        video.durationSeconds = Int32(number * 37)
        video.isLive = number % 2 == 0
        video.isAdult = false
        video.tags = ["live", "harbour", "tag-\(number)"]
        video.createdAt = Google_Protobuf_Timestamp(seconds: 1_764_547_200 + Int64(number), nanos: 123_000_000)
        video.updatedAt = Google_Protobuf_Timestamp(seconds: 1_764_547_260 + Int64(number), nanos: 0)
        return video
    }

    let strict = Transcoder(registry: haloRegistry)

    @Test("a video: swift-protobuf's JSON becomes swift-protobuf's wire bytes, and back")
    func videoBothWays() throws {
        let video = Self.sampleVideo()
        let json = try video.jsonString()
        let wire: [UInt8] = try video.serializedBytes()
        #expect(try strict.wire(json, "halo.video.v1.Video") == wire)
        let back = try strict.json(wire, "halo.video.v1.Video")
        #expect(try JSONTree(back) == JSONTree(json))
        #expect(try Halo_Video_V1_Video(jsonString: back) == video)
    }

    @Test("a list of 20 videos and a counts map, both ways")
    func listsAndMaps() throws {
        var list = Halo_Video_V1_ListVideosResponse()
        list.videos = (1...20).map { Self.sampleVideo($0) }
        list.nextOffset = 40
        let wire: [UInt8] = try list.serializedBytes()
        #expect(try strict.wire(try list.jsonString(), "halo.video.v1.ListVideosResponse") == wire)
        #expect(
            try Halo_Video_V1_ListVideosResponse(jsonString: try strict.json(wire, "halo.video.v1.ListVideosResponse"))
                == list)

        var counts = Halo_Engagement_V1_BatchGetCountsResponse()
        for number in 0..<20 {
            var entry = Halo_Engagement_V1_Counts()
            entry.views = Int64(number * 1000)
            entry.likes = Int64(number)
            counts.counts["video-\(number)"] = entry
        }
        let countsWire: [UInt8] = try counts.serializedBytes()
        let decoded = try Halo_Engagement_V1_BatchGetCountsResponse(
            serializedBytes: try strict.wire(try counts.jsonString(), "halo.engagement.v1.BatchGetCountsResponse"))
        #expect(decoded == counts)
        let json = try strict.json(countsWire, "halo.engagement.v1.BatchGetCountsResponse")
        #expect(try Halo_Engagement_V1_BatchGetCountsResponse(jsonString: json) == counts)
    }

    @Test("Halo's presentation: proto names, defaults, int64 as numbers, short lower-case enum names")
    func haloPresentation() throws {
        let halo = Transcoder(registry: haloRegistry, options: .halo)
        var value = Halo_Engagement_V1_MetricValue()
        value.videoID = "v1"
        value.metric = .views
        value.value = 42
        let json = try halo.json(try value.serializedBytes(), "halo.engagement.v1.MetricValue")
        #expect(json == #"{"video_id":"v1","metric":"views","value":42}"#)
        let empty = try halo.json([], "halo.engagement.v1.MetricValue")
        #expect(empty == #"{"video_id":"","metric":"unspecified","value":0}"#)
        // Input: short names in any case, and full names.
        for spelling in ["views", "VIEWS", "Views", "METRIC_VIEWS"] {
            let wire = try halo.wire(
                #"{"video_id":"v1","metric":"\#(spelling)"}"#, "halo.engagement.v1.IncrementRequest")
            #expect(try Halo_Engagement_V1_IncrementRequest(serializedBytes: wire).metric == .views)
        }
        // Strict options do not take short names.
        #expect(strict.refusal(#"{"metric":"views"}"#, "halo.engagement.v1.IncrementRequest") != nil)
    }
}
