import Foundation
import ServiceSupport
import Testing

@Suite struct UUIDv7Tests {
    @Test func versionAndVariantBits() {
        let id = UUIDv7.make()
        #expect(id.uuid.6 >> 4 == 7)
        #expect(id.uuid.8 >> 6 == 0b10)
    }

    @Test func embedsTheMillisecond() throws {
        let now = Date(timeIntervalSince1970: 1_750_000_000.123)
        let id = UUIDv7.make(now: now)
        let date = try #require(UUIDv7.date(of: id))
        #expect(abs(date.timeIntervalSince1970 - 1_750_000_000.123) < 0.001)
        #expect(UUIDv7.date(of: UUID()) == nil)
    }

    @Test func increasesWithinOneMillisecond() {
        let now = Date(timeIntervalSince1970: 1_760_000_000)
        let ids = (0..<5000).map { _ in UUIDv7.make(now: now).lowercasedString }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test func increasesAcrossMillisecondsAndWhenTheClockStepsBack() {
        let base = 1_770_000_000.0
        let times = [base, base + 0.001, base + 0.002, base - 5, base + 0.002, base + 1]
        let ids = times.map { UUIDv7.make(now: Date(timeIntervalSince1970: $0)).lowercasedString }
        #expect(ids == ids.sorted())
    }

    @Test func concurrentCallersNeverCollide() async {
        let ids = await withTaskGroup(of: [UUID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<500).map { _ in UUIDv7.make() } } }
            var all: [UUID] = []
            for await batch in group { all += batch }
            return all
        }
        #expect(Set(ids).count == 4000)
    }
}
