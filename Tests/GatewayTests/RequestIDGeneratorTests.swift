import Testing

@testable import Gateway

@Suite("Request ids: a sane client id is echoed, otherwise prefix and hexadecimal counter")
struct RequestIDGeneratorTests {
    @Test func newIdsAreThePrefixAndTheCounterInHexadecimal() throws {
        let generator = RequestIDGenerator()
        var prefixes = Set<Substring>()
        for expected in UInt64(1)...5000 {
            let id = generator.requestID(echoing: nil)
            let parts = id.split(separator: "-")
            #expect(parts.count == 2, "\(id)")
            prefixes.insert(parts[0])
            #expect((1...6).contains(parts[0].count) && parts[0].allSatisfy(\.isHexDigit), "\(id)")
            #expect(parts[1] == String(expected, radix: 16)[...], "\(id)")
        }
        #expect(prefixes.count == 1)
    }

    @Test func theCounterWrapsAtItsEnd() {
        let generator = RequestIDGenerator(counter: .max - 2)
        let suffixes = (0..<3).map { _ in generator.requestID(echoing: nil).split(separator: "-").last.map(String.init)
        }
        #expect(suffixes == ["fffffffffffffffe", "ffffffffffffffff", "0"])
    }

    @Test(arguments: ["abc-123", "A.b:c_d-9", String(repeating: "x", count: 128)])
    func aSaneClientIdIsEchoed(_ id: String) {
        #expect(RequestIDGenerator().requestID(echoing: id) == id)
    }

    @Test(arguments: ["", "has space", "new\nline", "é", String(repeating: "x", count: 129)])
    func anyOtherClientIdIsReplaced(_ id: String) {
        let answered = RequestIDGenerator().requestID(echoing: id)
        #expect(answered != id)
        #expect(answered.split(separator: "-").count == 2)
    }
}
