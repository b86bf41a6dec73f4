package import Foundation
import Synchronization

/// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter, then 62
/// random bits. Ids sort by creation time, and within one millisecond they still increase
/// (RFC 9562 §6.2 method 1): the counter starts at a random value below 2048 each new
/// millisecond and counts up; if it runs out, or the clock steps back, the timestamp borrows
/// from the next millisecond, so ids made by one process never go backwards.
package enum UUIDv7 {
    /// The process-wide generator behind ``make(now:)``.
    private static let shared = Generator()

    /// A new id for `now`, from the process-wide generator.
    package static func make(now: Date = Date()) -> UUID {
        self.shared.make(now: now)
    }

    /// A new id for `now` from the process-wide generator, with randomness from `generator`.
    package static func make(now: Date, using generator: inout some RandomNumberGenerator) -> UUID {
        self.shared.make(now: now, using: &generator)
    }

    /// A source of ids that never go backwards. Use the process-wide one (``UUIDv7/make(now:)``);
    /// tests that pin the clock make their own.
    package final class Generator: Sendable {
        private struct State {
            var milliseconds: UInt64 = 0
            var counter: UInt16 = 0
        }

        private let state = Mutex(State())

        package init() {}

        /// A new id for `now`.
        package func make(now: Date = Date()) -> UUID {
            var generator = SystemRandomNumberGenerator()
            return self.make(now: now, using: &generator)
        }

        /// A new id for `now`, with randomness from `generator`.
        package func make(now: Date, using generator: inout some RandomNumberGenerator) -> UUID {
            let wall = UInt64(max(0, (now.timeIntervalSince1970 * 1000).rounded(.down)))
            let seed = UInt16.random(in: 0..<2048, using: &generator)
            let (milliseconds, counter) = self.state.withLock { state -> (UInt64, UInt16) in
                if wall > state.milliseconds {
                    state.milliseconds = wall
                    state.counter = seed
                } else if state.counter < 0x0FFF {
                    state.counter += 1
                } else {
                    state.milliseconds += 1
                    state.counter = seed
                }
                return (state.milliseconds, state.counter)
            }
            return UUIDv7.assemble(milliseconds: milliseconds, counter: counter, random: generator.next())
        }
    }

    /// Lays out the fields: 48-bit time, version 7, 12-bit counter, variant 10, 62 random bits.
    private static func assemble(milliseconds: UInt64, counter: UInt16, random: UInt64) -> UUID {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for shift in stride(from: 40, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: milliseconds >> shift))
        }
        bytes.append(0x70 | UInt8(counter >> 8))
        bytes.append(UInt8(truncatingIfNeeded: counter))
        bytes.append(0x80 | UInt8(truncatingIfNeeded: random >> 56) & 0x3F)
        for shift in stride(from: 48, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: random >> shift)) }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    /// The creation time of a version-7 id (millisecond precision); nil for other versions.
    package static func date(of id: UUID) -> Date? {
        let bytes = id.uuid
        guard bytes.6 >> 4 == 7 else { return nil }
        let parts = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5]
        let milliseconds = parts.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
