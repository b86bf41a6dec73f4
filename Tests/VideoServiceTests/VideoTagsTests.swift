import Foundation
import ServiceSupport
import Testing
import VideoService

@Suite struct VideoTagsTests {
    @Test(arguments: [
        [], ["music"], ["a", "b", "c"], ["with space", "ünïcödé", "😀"], ["quote\"inside", "back\\slash"],
        ["slash/inside"], ["tab\there", "line\nbreak"], ["", "x"],
    ])
    func whatIsStoredReadsBackTheSame(_ tags: [String]) throws {
        let stored = try VideoTags.encode(tags)
        #expect(try VideoTags.decode(stored) == tags)
    }

    @Test func formsTheEncoderDoesNotWriteStillDecode() throws {
        #expect(try VideoTags.decode(#"[ "a" , "b" ]"#) == ["a", "b"])
        #expect(try VideoTags.decode(#"["\u00e9"]"#) == ["é"])
    }

    @Test(arguments: ["", "[", #"["a""#, #"{"a":1}"#, #"[1]"#, "null"])
    func anythingElseIsACorruptRow(_ text: String) {
        let error = #expect(throws: DatabaseError.self) { try VideoTags.decode(text) }
        #expect(error?.code == .other)
    }
}
