import CallerIdentity
import Foundation
import Testing

@Suite struct UUIDTextTests {
    @Test func parsesAndFormatsLikeFoundation() throws {
        for _ in 0..<1000 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(UUID(hyphenated: id.uuidString) == id)
            #expect(UUID(hyphenated: id.lowercasedString) == id)
        }
    }

    @Test(arguments: [
        "", "0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6", "0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6b0",
        "0190a5b42c3d-7e8f-9a0b-1c2d3e4f5a6b0", "0190a5b4-2c3d-7e8f-9a0b+1c2d3e4f5a6b",
        "0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6g", "{190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6b",
        "0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6ß",
    ])
    func rejectsWhatFoundationRejects(_ text: String) {
        #expect(UUID(hyphenated: text) == nil)
        #expect(UUID(uuidString: text) == nil)
    }
}
