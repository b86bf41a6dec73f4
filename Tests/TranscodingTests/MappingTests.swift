import Foundation
import SwiftProtobuf
import TestProtos
import Testing
import Transcoding

/// Single cases of the proto3 JSON mapping on AllKinds, each named after the rule it checks.
@Suite("proto3 JSON mapping")
struct MappingTests {
    let transcoder = Transcoder(registry: testingRegistry)
    let name = "halo.testing.v1.AllKinds"

    private func decode(_ json: String) throws -> Halo_Testing_V1_AllKinds {
        try Halo_Testing_V1_AllKinds(serializedBytes: try transcoder.wire(json, name))
    }

    @Test("int64 and uint64 as strings or numbers; floats with NaN and ±Infinity")
    func numbers() throws {
        let message = try decode(
            #"{"fInt64":"-9223372036854775808","fUint64":18446744073709551615,"fDouble":"NaN","fFloat":"-Infinity","rDouble":["Infinity",1e308]}"#
        )
        #expect(message.fInt64 == .min && message.fUint64 == .max)
        #expect(message.fDouble.isNaN && message.fFloat == -.infinity)
        #expect(message.rDouble == [.infinity, 1e308])
        #expect(transcoder.refusal(#"{"fFloat":1e39}"#, name) == "/fFloat: number out of range for float")
        #expect(transcoder.refusal(#"{"fDouble":1e400}"#, name) == "/fDouble: number out of range for double")
        #expect(transcoder.refusal(#"{"fUint32":-1}"#, name) == "/fUint32: integer out of range for uint32")
    }

    @Test("bytes in base64 and base64url, padded or not; invalid base64 refused")
    func bytes() throws {
        #expect(try decode(#"{"fBytes":"+/8="}"#).fBytes == Data([0xFB, 0xFF]))
        #expect(try decode(#"{"fBytes":"-_8"}"#).fBytes == Data([0xFB, 0xFF]))
        #expect(transcoder.refusal(#"{"fBytes":"a"}"#, name) == "/fBytes: invalid base64")
        #expect(transcoder.refusal(#"{"fBytes":"ab$="}"#, name) == "/fBytes: invalid base64")
    }

    @Test("enums by name or number; unknown names refused")
    func enums() throws {
        #expect(
            try decode(#"{"fEnum":"SHADE_DARK","rEnum":[1,"SHADE_NEGATIVE",7]}"#).rEnum == [
                .light, .negative, .UNRECOGNIZED(7),
            ])
        #expect(
            transcoder.refusal(#"{"fEnum":"DARK"}"#, name) == "/fEnum: unknown value for enum halo.testing.v1.Shade")
    }

    @Test("two members of one oneof are refused; null leaves a oneof unset")
    func oneofs() throws {
        #expect(
            transcoder.refusal(#"{"cString":"a","cInt64":"1"}"#, name)
                == "/cInt64: more than one member of oneof choice")
        #expect(try decode(#"{"cString":null,"cInt64":"1"}"#).cInt64 == 1)
        #expect(try decode(#"{"cNull":null}"#).choice == .cNull(.nullValue))
    }

    @Test("proto3 optional keeps presence at the default value, both ways")
    func optional() throws {
        let message = try decode(#"{"oInt32":0,"oString":""}"#)
        #expect(message.hasOInt32 && message.hasOString)
        #expect(try transcoder.json(try message.serializedBytes(), name) == #"{"oInt32":0,"oString":""}"#)
    }

    @Test("maps of every key type; a key given twice is refused")
    func maps() throws {
        let message = try decode(
            #"{"mInt32":{"-1":"a"},"mUint64":{"18446744073709551615":true},"mBool":{"true":"t","false":"f"},"mSfixed64":{"-5":"6"}}"#
        )
        #expect(message.mInt32 == [-1: "a"] && message.mUint64 == [.max: true])
        #expect(message.mBool == [true: "t", false: "f"] && message.mSfixed64 == [-5: 6])
        #expect(transcoder.refusal(#"{"mInt32":{"1":"a","1":"b"}}"#, name) == "/mInt32/1: duplicate map key")
        #expect(transcoder.refusal(#"{"mBool":{"yes":"a"}}"#, name) == "/mBool/yes: expected a boolean map key")
        #expect(
            transcoder.refusal(#"{"mInt32":{"1.5":"a"}}"#, name) == "/mInt32/1.5: expected an integer, not a fraction")
    }

    @Test("a map with many keys finds a duplicate at the end")
    func largeMapDuplicate() throws {
        let members = (0..<5000).map { #""k\#($0)":{}"# } + [#""k17":{}"#]
        #expect(
            transcoder.refusal(#"{"mString":{"# + members.joined(separator: ",") + "}}", name)
                == "/mString/k17: duplicate map key")
    }

    @Test("well-known types: Timestamp offsets, Duration signs, FieldMask, wrappers, Struct, Any")
    func wellKnownTypes() throws {
        let message = try decode(
            #"{"wTimestamp":"1970-01-01T01:00:00.5+01:00","wDuration":"-1.000000001s","wFieldMask":"a.fooBar,baz","wInt32":0,"wStruct":{"k":[1,"x",null,{"n":true}]},"wAny":{"@type":"type.googleapis.com/google.protobuf.Duration","value":"2s"}}"#
        )
        #expect(message.wTimestamp.seconds == 0 && message.wTimestamp.nanos == 500_000_000)
        #expect(message.wDuration.seconds == -1 && message.wDuration.nanos == -1)
        #expect(message.wFieldMask.paths == ["a.foo_bar", "baz"])
        #expect(message.hasWInt32 && message.wInt32.value == 0)
        #expect(message.wStruct.fields["k"]?.listValue.values.count == 4)
        #expect(try Google_Protobuf_Duration(unpackingAny: message.wAny).seconds == 2)
        for bad in [
            #"{"wTimestamp":"10000-01-01T00:00:00Z"}"#, #"{"wTimestamp":"2026-02-30T00:00:00Z"}"#,
            #"{"wTimestamp":"2026-01-01T00:00:00"}"#, #"{"wDuration":"1.0000000001s"}"#, #"{"wDuration":"1"}"#,
            #"{"wFieldMask":"a_b"}"#, #"{"wFieldMask":"a,,b"}"#, #"{"wFieldMask":"=a12\u044bional"}"#,
            #"{"wAny":{"@type":"type.googleapis.com/nope.Nope"}}"#, #"{"wAny":{"fInt32":1}}"#,
        ] {
            #expect(transcoder.refusal(bad, name) != nil, "\(bad)")
        }
    }

    @Test("field mask paths that would not survive the way back are refused in both directions (fuzz findings)")
    func fieldMaskRoundTrip() throws {
        #expect(transcoder.refusal(#"{"wFieldMask":"Abc"}"#, name) != nil)
        for path in ["$", "a__b", "_a", "a_", "a.", ".a", "a_1", "aB", ""] {
            let mask = Google_Protobuf_FieldMask(protoPaths: [path])
            var message = Halo_Testing_V1_AllKinds()
            message.wFieldMask = mask
            #expect(throws: TranscodingError.self, "\(path)") {
                try transcoder.json(try message.serializedBytes(), name)
            }
        }
        var message = Halo_Testing_V1_AllKinds()
        message.wFieldMask = Google_Protobuf_FieldMask(protoPaths: ["a.foo_bar1", "x9.y"])
        let json = try transcoder.json(try message.serializedBytes(), name)
        #expect(json == #"{"wFieldMask":"a.fooBar1,x9.y"}"#)
        #expect(try decode(json).wFieldMask == message.wFieldMask)
    }

    @Test("Any with a message type: its fields beside @type, wherever @type is")
    func anyWithMessage() throws {
        let message = try decode(
            #"{"wAny":{"number":5,"@type":"type.googleapis.com/halo.testing.v1.Leaf","text":"t"}}"#)
        let leaf = try Halo_Testing_V1_Leaf(unpackingAny: message.wAny)
        #expect(leaf.number == 5 && leaf.text == "t")
        let json = try transcoder.json(try message.serializedBytes(), name)
        #expect(json == #"{"wAny":{"@type":"type.googleapis.com/halo.testing.v1.Leaf","number":5,"text":"t"}}"#)
    }

    @Test("wire: packed and unpacked runs of one repeated field concatenate; a later oneof member wins")
    func wireMerging() throws {
        // r_int32 (35) packed [1, 2], then unpacked 3; c_string (70) "a", then c_int64 (71) 9.
        let wire: [UInt8] = [0x9A, 0x02, 0x02, 0x01, 0x02, 0x98, 0x02, 0x03, 0xB2, 0x04, 0x01, 0x61, 0xB8, 0x04, 0x09]
        #expect(try transcoder.json(wire, name) == #"{"rInt32":[1,2,3],"cInt64":"9"}"#)
        // A map key seen twice keeps its last value.
        let map: [UInt8] = [
            0x92, 0x03, 0x05, 0x08, 0x01, 0x12, 0x01, 0x61, 0x92, 0x03, 0x05, 0x08, 0x01, 0x12, 0x01, 0x62,
        ]
        #expect(try transcoder.json(map, name) == #"{"mInt32":{"1":"b"}}"#)
        // An entry without a key has the default key, so it and an explicit 0 are one key.
        let defaultKey: [UInt8] = [0x92, 0x03, 0x03, 0x12, 0x01, 0x61, 0x92, 0x03, 0x05, 0x08, 0x00, 0x12, 0x01, 0x62]
        #expect(try transcoder.json(defaultKey, name) == #"{"mInt32":{"0":"b"}}"#)
        // -1 as a ten-byte varint and as a five-byte one is one int32 key.
        let ten: [UInt8] = [0x92, 0x03, 0x0E, 0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01, 0x12, 0x01, 0x61]
        let five: [UInt8] = [0x92, 0x03, 0x09, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x01, 0x62]
        #expect(try transcoder.json(ten + five, name) == #"{"mInt32":{"-1":"b"}}"#)
        // Past the 32 keys kept inline, a key seen again still replaces the earlier entry.
        func entry(_ key: UInt8, _ value: UInt8) -> [UInt8] { [0x92, 0x03, 0x05, 0x08, key, 0x12, 0x01, value] }
        let large = (0..<40).flatMap { entry(UInt8($0), 0x61) } + entry(35, 0x62)
        let keys = (0..<40).filter { $0 != 35 }.map { #""\#($0)":"a""# } + [#""35":"b""#]
        #expect(try transcoder.json(large, name) == #"{"mInt32":{"# + keys.joined(separator: ",") + "}}")
    }
}
