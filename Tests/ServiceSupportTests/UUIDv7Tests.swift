import CallerIdentity
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
        let id = UUIDv7.Generator().make(now: now)
        let date = try #require(UUIDv7.date(of: id))
        #expect(abs(date.timeIntervalSince1970 - 1_750_000_000.123) < 0.001)
        #expect(UUIDv7.date(of: UUID()) == nil)
    }

    @Test func increasesWithinOneMillisecond() throws {
        let generator = UUIDv7.Generator()
        let now = Date(timeIntervalSince1970: 1_760_000_000)
        let ids = (0..<5000).map { _ in generator.make(now: now).lowercasedString }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        // 5000 ids need more than the 4096 counter values: the later ones borrow the next milliseconds.
        let last = try #require(UUIDv7.date(of: UUID(uuidString: ids.last!)!))
        #expect(last.timeIntervalSince1970 > 1_760_000_000.0005)
    }

    @Test func increasesAcrossMillisecondsAndWhenTheClockStepsBack() {
        let base = 1_770_000_000.0
        let times = [base, base + 0.001, base + 0.002, base - 5, base + 0.002, base + 1]
        let generator = UUIDv7.Generator()
        let ids = times.map { generator.make(now: Date(timeIntervalSince1970: $0)).lowercasedString }
        #expect(ids == ids.sorted())
        let dates = ids.map { UUIDv7.date(of: UUID(uuidString: $0)!)!.timeIntervalSince1970 }
        #expect(abs(dates[1] - (base + 0.001)) < 0.0005)
        #expect(abs(dates.last! - (base + 1)) < 0.0005)
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
