import Foundation
import SwiftProtobuf
import TestProtos

/// A seeded generator (SplitMix64), so a failing case is reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random `AllKinds` messages: every field kind, present or not, with edge values mixed in.
struct RandomMessages {
    var random: SeededGenerator

    init(seed: UInt64) {
        random = SeededGenerator(state: seed)
    }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    mutating func count(_ maximum: Int = 4) -> Int { Int.random(in: 0...maximum, using: &random) }

    mutating func int32() -> Int32 {
        chance(30) ? pick([0, 1, -1, .max, .min]) : Int32.random(in: .min ... .max, using: &random)
    }
    mutating func int64() -> Int64 {
        chance(30)
            ? pick([0, 1, -1, .max, .min, 9_007_199_254_740_991, -9_007_199_254_740_992])
            : Int64.random(in: .min ... .max, using: &random)
    }
    mutating func uint32() -> UInt32 {
        chance(30) ? pick([0, 1, .max]) : UInt32.random(in: 0 ... .max, using: &random)
    }
    mutating func uint64() -> UInt64 {
        chance(30) ? pick([0, 1, .max]) : UInt64.random(in: 0 ... .max, using: &random)
    }
    mutating func double() -> Double {
        if chance(30) { return pick([0, -0.0, 1, -1.5, .infinity, -.infinity, .greatestFiniteMagnitude, 5e-324, 0.1]) }
        while true {
            let value = Double(bitPattern: random.next())
            if !value.isNaN { return value }
        }
    }
    mutating func float() -> Float {
        if chance(30) { return pick([0, 1, -2.5, .infinity, -.infinity, .greatestFiniteMagnitude, 1e-45, 0.1]) }
        while true {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
            if !value.isNaN { return value }
        }
    }
    mutating func string() -> String {
        let pieces = [
            "", "a", "héllo", "😀", "\"", "\\", "\n\t", "\u{0}", "\u{1F}", "/", "\u{2028}", "日本", "x y", "\u{7F}",
        ]
        return (0..<count(3)).map { _ in pick(pieces) }.joined()
    }
    mutating func bytes() -> Data { Data((0..<count(7)).map { _ in UInt8.random(in: 0...255, using: &random) }) }
    mutating func shade() -> Halo_Testing_V1_Shade { pick([.unspecified, .light, .dark, .negative]) }
    mutating func identifier() -> String {
        (0..<(1 + count(2))).map { _ in pick(["a", "b", "foo", "bar", "x"]) }.joined(separator: "_")
    }

    mutating func leaf(depth: Int = 0) -> Halo_Testing_V1_Leaf {
        var leaf = Halo_Testing_V1_Leaf()
        if chance(60) { leaf.number = int32() }
        if chance(60) { leaf.text = string() }
        if depth < 3, chance(30) { leaf.child = self.leaf(depth: depth + 1) }
        leaf.values = (0..<count()).map { _ in int64() }
        if chance(50) { leaf.shade = shade() }
        return leaf
    }

    mutating func timestamp() -> Google_Protobuf_Timestamp {
        Google_Protobuf_Timestamp(
            seconds: Int64.random(in: -62_135_596_800...253_402_300_799, using: &random),
            nanos: pick([0, 1_000_000, 123_456_000, 999_999_999, Int32.random(in: 0...999_999_999, using: &random)]))
    }

    mutating func duration() -> Google_Protobuf_Duration {
        let seconds = Int64.random(in: -315_576_000_000...315_576_000_000, using: &random)
        var nanos = pick([0, 500_000_000, Int32.random(in: 0...999_999_999, using: &random)])
        if seconds < 0 { nanos = -nanos }
        return Google_Protobuf_Duration(seconds: seconds, nanos: nanos)
    }

    mutating func value(depth: Int = 0) -> Google_Protobuf_Value {
        switch Int.random(in: 0..<(depth < 3 ? 6 : 4), using: &random) {
        case 0:
            var value = Google_Protobuf_Value()
            value.nullValue = .nullValue
            return value
        case 1:
            var number = double()
            if !number.isFinite { number = 2.5 }
            return Google_Protobuf_Value(numberValue: number)
        case 2: return Google_Protobuf_Value(stringValue: string())
        case 3: return Google_Protobuf_Value(boolValue: chance(50))
        case 4: return Google_Protobuf_Value(structValue: structValue(depth: depth + 1))
        default:
            return Google_Protobuf_Value(
                listValue: Google_Protobuf_ListValue(values: (0..<count(3)).map { _ in value(depth: depth + 1) }))
        }
    }

    mutating func structValue(depth: Int = 0) -> Google_Protobuf_Struct {
        var fields: [String: Google_Protobuf_Value] = [:]
        for _ in 0..<count(3) { fields[string()] = value(depth: depth) }
        return Google_Protobuf_Struct(fields: fields)
    }

    mutating func any() throws -> Google_Protobuf_Any {
        switch count(3) {
        case 0: return try Google_Protobuf_Any(message: leaf())
        case 1: return try Google_Protobuf_Any(message: timestamp())
        case 2: return try Google_Protobuf_Any(message: Google_Protobuf_Int64Value(int64()))
        default: return try Google_Protobuf_Any(message: structValue())
        }
    }

    mutating func allKinds() throws -> Halo_Testing_V1_AllKinds {
        var m = Halo_Testing_V1_AllKinds()
        if chance(50) { m.fDouble = double() }
        if chance(50) { m.fFloat = float() }
        if chance(50) { m.fInt64 = int64() }
        if chance(50) { m.fUint64 = uint64() }
        if chance(50) { m.fInt32 = int32() }
        if chance(50) { m.fFixed64 = uint64() }
        if chance(50) { m.fFixed32 = uint32() }
        if chance(50) { m.fBool = chance(50) }
        if chance(50) { m.fString = string() }
        if chance(50) { m.fBytes = bytes() }
        if chance(50) { m.fUint32 = uint32() }
        if chance(50) { m.fSfixed32 = int32() }
        if chance(50) { m.fSfixed64 = int64() }
        if chance(50) { m.fSint32 = int32() }
        if chance(50) { m.fSint64 = int64() }
        if chance(50) { m.fEnum = shade() }
        if chance(30) { m.fMessage = leaf() }
        if chance(30) { m.fRenamed = string() }
        if chance(30) { m.oInt32 = int32() }
        if chance(30) { m.oString = string() }
        if chance(30) { m.oEnum = shade() }
        if chance(30) { m.oDouble = double() }
        if chance(30) { m.oBytes = bytes() }
        if chance(30) { m.oUint64 = uint64() }
        m.rDouble = (0..<count()).map { _ in double() }
        m.rFloat = (0..<count()).map { _ in float() }
        m.rInt64 = (0..<count()).map { _ in int64() }
        m.rUint64 = (0..<count()).map { _ in uint64() }
        m.rInt32 = (0..<count()).map { _ in int32() }
        m.rFixed64 = (0..<count()).map { _ in uint64() }
        m.rFixed32 = (0..<count()).map { _ in uint32() }
        m.rBool = (0..<count()).map { _ in chance(50) }
        m.rString = (0..<count()).map { _ in string() }
        m.rBytes = (0..<count()).map { _ in bytes() }
        m.rUint32 = (0..<count()).map { _ in uint32() }
        m.rSfixed32 = (0..<count()).map { _ in int32() }
        m.rSfixed64 = (0..<count()).map { _ in int64() }
        m.rSint32 = (0..<count()).map { _ in int32() }
        m.rSint64 = (0..<count()).map { _ in int64() }
        m.rEnum = (0..<count()).map { _ in shade() }
        m.rMessage = (0..<count(2)).map { _ in leaf() }
        m.rUnpacked = (0..<count()).map { _ in int32() }
        for _ in 0..<count() { m.mInt32[int32()] = string() }
        for _ in 0..<count() { m.mInt64[int64()] = int32() }
        for _ in 0..<count() { m.mUint32[uint32()] = uint64() }
        for _ in 0..<count() { m.mUint64[uint64()] = chance(50) }
        for _ in 0..<count() { m.mSint32[int32()] = double() }
        for _ in 0..<count() { m.mSint64[int64()] = float() }
        for _ in 0..<count() { m.mFixed32[uint32()] = bytes() }
        for _ in 0..<count() { m.mFixed64[uint64()] = shade() }
        for _ in 0..<count(2) { m.mSfixed32[int32()] = leaf() }
        for _ in 0..<count() { m.mSfixed64[int64()] = int64() }
        for _ in 0..<count(2) { m.mBool[chance(50)] = string() }
        for _ in 0..<count(2) { m.mString[string()] = leaf() }
        for _ in 0..<count(2) { m.mValue[string()] = value() }
        switch count(5) {
        case 0: m.cString = string()
        case 1: m.cInt64 = int64()
        case 2: m.cMessage = leaf()
        case 3: m.cEnum = shade()
        case 4: m.cNull = .nullValue
        default: break
        }
        if chance(30) { m.wAny = try any() }
        if chance(30) { m.wTimestamp = timestamp() }
        if chance(30) { m.wDuration = duration() }
        if chance(30) { m.wFieldMask = Google_Protobuf_FieldMask(protoPaths: (0..<count(3)).map { _ in identifier() }) }
        if chance(30) { m.wEmpty = Google_Protobuf_Empty() }
        if chance(30) { m.wStruct = structValue() }
        if chance(30) { m.wValue = value() }
        if chance(30) { m.wList = Google_Protobuf_ListValue(values: (0..<count(3)).map { _ in value() }) }
        if chance(30) { m.wDouble = Google_Protobuf_DoubleValue(double()) }
        if chance(30) { m.wFloat = Google_Protobuf_FloatValue(float()) }
        if chance(30) { m.wInt64 = Google_Protobuf_Int64Value(int64()) }
        if chance(30) { m.wUint64 = Google_Protobuf_UInt64Value(uint64()) }
        if chance(30) { m.wInt32 = Google_Protobuf_Int32Value(int32()) }
        if chance(30) { m.wUint32 = Google_Protobuf_UInt32Value(uint32()) }
        if chance(30) { m.wBool = Google_Protobuf_BoolValue(chance(50)) }
        if chance(30) { m.wString = Google_Protobuf_StringValue(string()) }
        if chance(30) { m.wBytes = Google_Protobuf_BytesValue(bytes()) }
        m.rTimestamp = (0..<count(2)).map { _ in timestamp() }
        m.rAny = try (0..<count(2)).map { _ in try any() }
        m.rWrapped = (0..<count(2)).map { _ in Google_Protobuf_Int32Value(int32()) }
        for _ in 0..<count(2) { m.mDuration[string()] = duration() }
        if chance(30) { m.fHighNumber = uint32() }
        return m
    }
}
