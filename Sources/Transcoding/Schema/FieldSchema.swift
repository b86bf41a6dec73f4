/// One field of a message, as the transcoder needs it: wire tag, JSON names and what its values are.
package struct FieldSchema: Sendable {
    /// The protobuf scalar or composite type of the field's values.
    package enum Kind: UInt8, Sendable {
        case double = 1, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes, uint32
        case `enum`, sfixed32, sfixed64, sint32, sint64

        /// The wire type a single value of this kind is written with.
        var wireType: WireType {
            switch self {
            case .double, .fixed64, .sfixed64: .fixed64
            case .float, .fixed32, .sfixed32: .fixed32
            case .string, .bytes, .message: .lengthDelimited
            case .group: .startGroup
            case .int64, .uint64, .int32, .bool, .uint32, .enum, .sint32, .sint64: .varint
            }
        }

        /// Whether repeated values of this kind may be packed.
        var isPackable: Bool { wireType == .varint || wireType == .fixed32 || wireType == .fixed64 }
        /// Whether JSON writes this kind as a string when it is a 64-bit integer.
        var is64BitInteger: Bool {
            self == .int64 || self == .uint64 || self == .fixed64 || self == .sfixed64 || self == .sint64
        }
    }

    /// How many values the field holds.
    package enum Cardinality: UInt8, Sendable {
        /// A singular field without presence (proto3 implicit): its default value is not written.
        case implicit
        /// A singular field with presence (proto2 optional, proto3 `optional`, oneof members, messages).
        case explicit
        case repeated
        /// A `map<K, V>`: a repeated field of a map-entry message.
        case map
    }

    /// The names, in one shared object so that copying a field schema costs one reference count.
    final class Names: Sendable {
        let protoName: String
        let jsonName: String
        let quotedProtoName: [UInt8]
        let quotedJSONName: [UInt8]

        init(protoName: String, jsonName: String) {
            self.protoName = protoName
            self.jsonName = jsonName
            self.quotedProtoName = Array("\"\(protoName)\":".utf8)
            self.quotedJSONName = Array("\"\(jsonName)\":".utf8)
        }
    }

    package let number: UInt32
    let names: Names
    package var protoName: String { names.protoName }
    package var jsonName: String { names.jsonName }
    var quotedProtoName: [UInt8] { names.quotedProtoName }
    var quotedJSONName: [UInt8] { names.quotedJSONName }
    package let kind: Kind
    package let cardinality: Cardinality
    /// The message type's index in the registry (messages, groups and maps), or -1.
    package let messageIndex: Int
    /// The enum type's index in the registry, or -1.
    package let enumIndex: Int
    /// The index of the real (not synthetic) oneof the field belongs to, or -1.
    package let oneofIndex: Int
    /// Whether repeated values are written packed.
    package let isPacked: Bool
    init(
        number: UInt32, protoName: String, jsonName: String, kind: Kind, cardinality: Cardinality,
        messageIndex: Int, enumIndex: Int, oneofIndex: Int, isPacked: Bool
    ) {
        self.number = number
        self.names = Names(protoName: protoName, jsonName: jsonName)
        self.kind = kind
        self.cardinality = cardinality
        self.messageIndex = messageIndex
        self.enumIndex = enumIndex
        self.oneofIndex = oneofIndex
        self.isPacked = isPacked
    }

    /// The tag of one value written unpacked.
    var tag: UInt32 { number << 3 | UInt32(kind.wireType.rawValue) }
    /// The tag of a packed run of values.
    var packedTag: UInt32 { number << 3 | UInt32(WireType.lengthDelimited.rawValue) }
    var isRepeated: Bool { cardinality == .repeated || cardinality == .map }
}

/// The protobuf wire types.
package enum WireType: UInt8, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}
