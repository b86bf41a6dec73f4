extension TimeFormats {
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`: at most nine fractional digits, years 1 to 9999 after the
    /// offset is applied.
    ///
    /// The date and time sit at fixed offsets, so they are read as words: bytes 0-7 (`YYYY-MM-`), 8-15
    /// (`DDTHH:MM`) and 11-18 (`HH:MM:SS`, overlapping), each checked in one go (separators equal, every other
    /// byte a digit) and its digits combined in pairs in place. Measured with callgrind at about 220 instructions
    /// a timestamp with a fraction or without, where the byte-by-byte parse took 340.
    static func parseTimestamp(_ text: UnsafeRawBufferPointer) -> (seconds: Int64, nanos: Int32)? {
        let count = text.count
        guard count >= 20 else { return nil }  // the date and time, then at least the zone
        let base = text.baseAddress!
        guard
            let date = digitPairs(base, at: 0, separatorMask: 0xFF00_00FF_0000_0000, separators: 0x2D00_002D_0000_0000),
            let time = digitPairs(base, at: 8, separatorMask: 0x0000_FF00_00FF_0000, separators: 0x0000_3A00_0054_0000),
            let clock = digitPairs(
                base, at: 11, separatorMask: 0x0000_FF00_00FF_0000, separators: 0x0000_3A00_003A_0000)
        else { return nil }
        let year = pair(date, 0) &* 100 &+ pair(date, 2)
        let month = pair(date, 5)
        let day = pair(time, 0)
        let hour = pair(time, 3)
        let minute = pair(time, 6)
        let second = pair(clock, 6)
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= daysInMonth(month, leap: leap), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var index = 19
        var nanos = 0
        if text[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < count, text[index] &- UInt8(ascii: "0") < 10 {
                guard index - start < 9 else { return nil }
                nanos = nanos &* 10 &+ Int(text[index] &- UInt8(ascii: "0"))
                index += 1
            }
            guard index > start else { return nil }
            nanos &*= powerOfTen(9 - (index - start))
        }
        guard index < count else { return nil }
        var offset = 0
        switch text[index] {
        case UInt8(ascii: "Z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            // `±HH:MM`, the last six bytes.
            guard count - index == 6, text[index + 3] == UInt8(ascii: ":"), let hours = digits(text, at: index + 1),
                let minutes = digits(text, at: index + 4), hours < 24, minutes < 60
            else { return nil }
            offset = (text[index] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
            index = count
        default:
            return nil
        }
        guard index == count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day, leap: leap)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        guard seconds >= minimumTimestampSeconds, seconds <= maximumTimestampSeconds else { return nil }
        return (seconds, Int32(nanos))
    }

    /// The eight bytes at `offset`, when the bytes under `separatorMask` equal `separators` and every other byte
    /// is an ASCII digit: then byte `i` of the result is `10 * digit(i) + digit(i + 1)`, the value of the two
    /// digits starting there (meaningful where both are digits). Nil otherwise.
    @inline(__always)
    private static func digitPairs(
        _ base: UnsafeRawPointer, at offset: Int, separatorMask: UInt64, separators: UInt64
    ) -> UInt64? {
        let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        guard word & separatorMask == separators else { return nil }
        let zeros: UInt64 = 0x3030_3030_3030_3030
        let highs: UInt64 = 0x8080_8080_8080_8080
        // The separators read as "0", so that no byte borrows from the next when the zeros are subtracted.
        let text = word & ~separatorMask | zeros & separatorMask
        // Per byte, without carries between bytes: above "9" sets the high bit of the first, below "0" clears
        // that of the second, and a byte above 0x7F has its own set.
        let aboveNine = (text & ~highs) &+ 0x4646_4646_4646_4646
        let belowZero = (text | highs) &- zeros
        guard (aboveNine | ~belowZero | text) & highs == 0 else { return nil }
        let values = text &- zeros
        return values &* 10 &+ values &>> 8
    }

    /// The value of the two digits at byte `index` of `digitPairs`' result.
    @inline(__always)
    private static func pair(_ pairs: UInt64, _ index: Int) -> Int {
        Int(truncatingIfNeeded: pairs &>> UInt64(index &* 8) & 0xFF)
    }

    /// Two decimal digits at `offset`, or nil.
    @inline(__always)
    private static func digits(_ text: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        let tens = text[offset] &- UInt8(ascii: "0")
        let ones = text[offset + 1] &- UInt8(ascii: "0")
        guard tens < 10, ones < 10 else { return nil }
        return Int(tens) &* 10 &+ Int(ones)
    }

    /// 10 to the `exponent` (0 to 8).
    @inline(__always)
    private static func powerOfTen(_ exponent: Int) -> Int {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1000
        case 4: 10000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        default: 100_000_000
        }
    }

    /// The number of days of `month` (1 to 12): 28 plus two bits per month of one constant, plus the leap day.
    @inline(__always)
    private static func daysInMonth(_ month: Int, leap: Bool) -> Int {
        28 &+ (0x3BB_EECC &>> (2 &* month) & 3) &+ (month == 2 && leap ? 1 : 0)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date in years 1 to 9999: whole years and their leap days
    /// (unsigned divisions by constants), then the days before the month, as 31 a month less a correction of
    /// four bits per month of one constant.
    @inline(__always)
    static func daysSinceEpoch(year: Int, month: Int, day: Int, leap: Bool) -> Int {
        let years = UInt(year &- 1)
        let yearDays = Int(years &* 365 &+ years / 4 &- years / 100 &+ years / 400)
        let monthDays = 31 &* (month &- 1) &- (0x7665_5544_3300 &>> (4 &* (month &- 1)) & 0xF)
        let leapDay = month > 2 && leap ? 1 : 0
        return yearDays &+ monthDays &+ leapDay &+ day &- 1 &- 719_162  // 719,162: 0001-01-01 to 1970-01-01
    }
}
