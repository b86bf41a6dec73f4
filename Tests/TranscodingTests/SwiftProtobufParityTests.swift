import Foundation
import SwiftProtobuf
import TestProtos
import Testing
import Transcoding

/// Property tests against swift-protobuf's own JSON codec on the message with every field kind: random messages,
/// both directions, byte-equal wire bytes and equal JSON under strict options.
@Suite("Parity with swift-protobuf")
struct SwiftProtobufParityTests {
    let transcoder = Transcoder(registry: testingRegistry)
    let name = "halo.testing.v1.AllKinds"
    static let seeds: [UInt64] = Array(1...300)

    /// Registry of types an Any in the test message may hold, for swift-protobuf's side.
    static let anyTypes: Void = {
        Google_Protobuf_Any.register(messageType: Halo_Testing_V1_Leaf.self)
    }()

    @Test("swift-protobuf's JSON -> our wire == swift-protobuf's wire", arguments: seeds)
    func jsonToWire(seed: UInt64) throws {
        _ = Self.anyTypes
        var generator = RandomMessages(seed: seed)
        let message = try generator.allKinds()
        let json = try message.jsonString()
        let expected: [UInt8] = try message.serializedBytes()
        let ours = try transcoder.wire(json, name)
        if ours != expected {
            // Same content, possibly another map order: then it must decode to the same message.
            let decoded = try Halo_Testing_V1_AllKinds(serializedBytes: ours)
            #expect(try Self.same(decoded, message), "seed \(seed): \(json)")
            #expect(ours.count == expected.count, "seed \(seed)")
            #expect(Self.hasMaps(message), "seed \(seed): bytes differ without maps to reorder")
        }
    }

    @Test("swift-protobuf's wire -> our JSON == swift-protobuf's JSON", arguments: seeds)
    func wireToJSON(seed: UInt64) throws {
        _ = Self.anyTypes
        var generator = RandomMessages(seed: seed)
        let message = try generator.allKinds()
        let wire: [UInt8] = try message.serializedBytes()
        let ours = try transcoder.json(wire, name)
        let expected = try message.jsonString()
        #expect(try Self.same(Halo_Testing_V1_AllKinds(jsonString: ours), message), "seed \(seed): \(ours)")
        #expect(
            try JSONTree(ours).equalsAllowingFloatSpelling(JSONTree(expected)), "seed \(seed)\n\(ours)\n\(expected)")
    }

    @Test(
        "proto names and emitted defaults are what swift-protobuf writes with the same options",
        arguments: seeds.prefix(50))
    func presentation(seed: UInt64) throws {
        _ = Self.anyTypes
        var generator = RandomMessages(seed: seed)
        let message = try generator.allKinds()
        var options = TranscodingOptions()
        options.outputFieldNames = .proto
        let ours = try Transcoder(registry: testingRegistry, options: options).json(try message.serializedBytes(), name)
        var theirs = JSONEncodingOptions()
        theirs.preserveProtoFieldNames = true
        #expect(
            try JSONTree(ours).equalsAllowingFloatSpelling(JSONTree(message.jsonString(options: theirs))),
            "seed \(seed)")
    }

    /// Equal messages. An `Any` read from JSON keeps another internal form than one read from bytes (and a Struct
    /// packed in one has no fixed map order), so messages whose swift-protobuf JSON is the same tree count as equal.
    static func same(_ a: Halo_Testing_V1_AllKinds, _ b: Halo_Testing_V1_AllKinds) throws -> Bool {
        if a == b { return true }
        return try JSONTree(a.jsonString()) == JSONTree(b.jsonString())
    }

    private static func hasMaps(_ message: Halo_Testing_V1_AllKinds) -> Bool {
        message.mInt32.count > 1 || message.mInt64.count > 1 || message.mUint32.count > 1 || message.mUint64.count > 1
            || message.mSint32.count > 1 || message.mSint64.count > 1 || message.mFixed32.count > 1
            || message.mFixed64.count > 1 || message.mSfixed32.count > 1 || message.mSfixed64.count > 1
            || message.mBool.count > 1 || message.mString.count > 1 || message.mValue.count > 1
            || message.mDuration.count > 1 || message.wStruct.fields.count > 1 || message.wAny.value.count > 0
            || !message.rAny.isEmpty || message.wValue.structValue.fields.count > 1
            || message.wList.values.count > 0 || message.mValue.count > 0
    }
}

extension JSONTree {
    /// Equality where two numbers also match when they are the same `Float` (float fields may be written with
    /// fewer digits than a double needs).
    func equalsAllowingFloatSpelling(_ other: JSONTree) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)): return a == b || Float(a) == Float(b)
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.equalsAllowingFloatSpelling($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count
                && a.allSatisfy { key, value in b[key].map { value.equalsAllowingFloatSpelling($0) } ?? false }
        default: return self == other
        }
    }
}
