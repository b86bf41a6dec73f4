import JSON
import Testing

private func integer(_ text: String) -> JSONNumber.Integer {
    Array(text.utf8).withUnsafeBytes { JSONNumber.integer($0) }
}

private func double(_ text: String) -> Double? {
    Array(text.utf8).withUnsafeBytes { JSONNumber.double($0) }
}

@Suite("JSON numbers")
struct JSONNumberTests {
    @Test("64-bit limits are exact in both signs")
    func limits() {
        #expect(integer("9223372036854775807").int64 == .max)
        #expect(integer("-9223372036854775808").int64 == .min)
        #expect(integer("9223372036854775808").int64 == nil)
        #expect(integer("9223372036854775808").uint64 == 9_223_372_036_854_775_808)
        #expect(integer("18446744073709551615").uint64 == .max)
        #expect(integer("18446744073709551616") == .outOfRange)
        #expect(integer("-1").uint64 == nil)
        #expect(integer("-0").uint64 == 0)
        #expect(integer("-9223372036854775809").int64 == nil)
    }

    @Test("integral numbers written with a fraction or an exponent are integers; others are fractions")
    func exponents() {
        #expect(integer("1e3").int64 == 1000)
        #expect(integer("5.0").int64 == 5)
        #expect(integer("1.5e1").int64 == 15)
        #expect(integer("1500e-2").int64 == 15)
        #expect(integer("0.0e10").int64 == 0)
        #expect(integer("-0.000").int64 == 0)
        #expect(integer("1.5") == .fraction)
        #expect(integer("1e-1") == .fraction)
        #expect(integer("1e20") == .outOfRange)
        #expect(integer("1.8446744073709551615e19").uint64 == .max)
        #expect(integer("1e999999999999") == .outOfRange)
        #expect(integer("1e-999999999999") == .fraction)
        #expect(integer("12000000000000000000000e-20").int64 == 120)
    }

    @Test(
        "only JSON number text is a number",
        arguments: ["", "-", "+1", "01", "1.", ".1", "1e", "0x10", " 1", "1 ", "NaN", "Infinity"])
    func notNumbers(text: String) {
        #expect(integer(text) == .notANumber)
        #expect(double(text) == nil)
    }

    @Test("doubles round correctly and overflow to infinity")
    func doubles() {
        #expect(double("0.1") == 0.1)
        #expect(double("-2.5e-3") == -0.0025)
        #expect(double("1.7976931348623157e308") == .greatestFiniteMagnitude)
        #expect(double("1e400") == .infinity)
        #expect(double("-1e400") == -.infinity)
        #expect(double("4.9e-324") == .leastNonzeroMagnitude)
        #expect(double("9007199254740993") == 9_007_199_254_740_992)
    }
}
