import Protos
import SwiftProtobuf
import Testing
import Transcoding

/// JSON that must be refused, each with the pointer and message a 400 problem body would carry.
@Suite("Strict JSON input")
struct StrictInputTests {
    let transcoder = Transcoder(registry: haloRegistry)
    let create = "halo.video.v1.CreateVideoRequest"

    @Test(
        "refusals name the place and the reason",
        arguments: [
            (#"{"tags":["a","b","c",4]}"#, "/tags/3: expected a string"),
            (#"{"nope":1}"#, "/nope: unknown field"),
            (#"{"title":"a","title":"b"}"#, "/title: duplicate field"),
            (#"{"thumbnail_url":"a","thumbnailUrl":"b"}"#, "/thumbnailUrl: duplicate field"),
            (#"{"duration_seconds":2147483648}"#, "/duration_seconds: integer out of range for int32"),
            (#"{"duration_seconds":-2147483649}"#, "/duration_seconds: integer out of range for int32"),
            (#"{"duration_seconds":1.5}"#, "/duration_seconds: expected an integer, not a fraction"),
            (#"{"duration_seconds":"x"}"#, "/duration_seconds: expected an integer"),
            (#"{"duration_seconds":true}"#, "/duration_seconds: expected an integer"),
            (#"{"is_live":"true"}"#, "/is_live: expected a boolean"),
            (#"{"tags":"a"}"#, "/tags: expected an array"),
            (#"{"tags":[null]}"#, "/tags/0: null is not allowed in a list"),
            (#"{"title":1}"#, "/title: expected a string"),
            (#"{"a~b/c":1}"#, "/a~0b~1c: unknown field"),
            ("{} x", "unexpected data after the JSON value"),
            ("[]", "expected a JSON object"),
            (#""x""#, "expected a JSON object"),
            ("1", "expected a JSON object"),
            ("", "unexpected end of JSON"),
            (#"{"title":"\ud800"}"#, "/title: lone surrogate in JSON string"),
            (#"{"title":"a",}"#, "expected a member name"),
        ])
    func refusals(json: String, expected: String) {
        #expect(transcoder.refusal(json, create) == expected)
    }

    @Test("invalid UTF-8 in a string is refused")
    func invalidUTF8() throws {
        let bytes = Array(#"{"title":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8)
        #expect(throws: TranscodingError("invalid UTF-8 in JSON string", pointer: "/title")) {
            try transcoder.jsonToWire(bytes, messageIndex: messageIndex(haloRegistry, create))
        }
    }

    @Test("nesting deeper than 64 is refused; 64 is fine")
    func depth() throws {
        let update = "halo.video.v1.UpdateVideoRequest"
        // The document is level 1 and the tags array level 2: 62 more arrays inside reach 64.
        let fits = #"{"tags":["# + String(repeating: "[", count: 62) + String(repeating: "]", count: 62) + "]}"
        #expect(transcoder.refusal(fits, update) == nil)
        let deep = #"{"tags":["# + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "]}"
        let refusal = try #require(transcoder.refusal(deep, update))
        #expect(refusal == "/tags" + String(repeating: "/0", count: 62) + ": JSON nested too deeply")
    }

    @Test("null means absent, integers may be strings, exponents that are whole are integers")
    func lenientWhereTheMappingIs() throws {
        #expect(try transcoder.wire(#"{"title":null,"tags":null}"#, create) == [])
        let wire = try transcoder.wire(#"{"duration_seconds":"12","is_live":true,"title":"t"}"#, create)
        let request = try Halo_Video_V1_CreateVideoRequest(serializedBytes: wire)
        #expect(request.durationSeconds == 12 && request.isLive && request.title == "t")
        let exponent = try transcoder.wire(#"{"duration_seconds":1.2e1}"#, create)
        #expect(try Halo_Video_V1_CreateVideoRequest(serializedBytes: exponent).durationSeconds == 12)
    }

    @Test("defaults of fields without presence are not written; present optional fields are")
    func defaults() throws {
        #expect(try transcoder.wire(#"{"title":"","duration_seconds":0,"is_live":false,"tags":[]}"#, create) == [])
        let wire = try transcoder.wire(#"{"live":false,"limit":0}"#, "halo.video.v1.ListVideosRequest")
        #expect(try Halo_Video_V1_ListVideosRequest(serializedBytes: wire).hasLive)
    }

    @Test("an empty object is the empty message; well-known types take their JSON forms")
    func wellKnownForms() throws {
        #expect(try transcoder.wire("{}", create) == [])
        let update = try transcoder.wire(
            #"{"id":"x","tags":["a",1,true,null,{"k":[]}]}"#, "halo.video.v1.UpdateVideoRequest")
        let decoded = try Halo_Video_V1_UpdateVideoRequest(serializedBytes: update)
        #expect(decoded.tags.values.count == 5)
        #expect(decoded.tags.values[3].nullValue == .nullValue)
    }
}
