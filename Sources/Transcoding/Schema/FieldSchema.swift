/// One field of a message: its names and its `FieldLayout` (wire tag and what its values are).
package struct FieldSchema: Sendable {
    /// The protobuf scalar or composite type of the field's values.
    package enum Kind: UInt8, Sendable, BitwiseCopyable {
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
    package enum Cardinality: UInt8, Sendable, BitwiseCopyable {
        /// A singular field without presence (proto3 implicit): its default value is not written.
        case implicit
        /// A singular field with presence (proto2 optional, proto3 `optional`, oneof members, messages).
        case explicit
        case repeated
        /// A `map<K, V>`: a repeated field of a map-entry message.
        case map
    }

    package let protoName: String
    package let jsonName: String
    /// Everything but the names, trivially copyable: what the transcoder reads.
    package let layout: FieldLayout
    package var number: UInt32 { layout.number }
    package var kind: Kind { layout.kind }
    package var cardinality: Cardinality { layout.cardinality }
    /// The message type's index in the registry (messages, groups and maps), or -1.
    package var messageIndex: Int { layout.messageIndex }
    /// The enum type's index in the registry, or -1.
    package var enumIndex: Int { layout.enumIndex }
    /// The index of the real (not synthetic) oneof the field belongs to, or -1.
    package var oneofIndex: Int { layout.oneofIndex }
    /// Whether repeated values are written packed.
    package var isPacked: Bool { layout.isPacked }

    init(
        number: UInt32, protoName: String, jsonName: String, kind: Kind, cardinality: Cardinality,
        messageIndex: Int, enumIndex: Int, oneofIndex: Int, isPacked: Bool,
        messageWellKnown: MessageSchema.WellKnown? = nil
    ) {
        self.protoName = protoName
        self.jsonName = jsonName
        self.layout = FieldLayout(
            number: number, kind: kind, cardinality: cardinality, messageIndex: messageIndex, enumIndex: enumIndex,
            oneofIndex: oneofIndex, isPacked: isPacked, messageWellKnown: messageWellKnown)
    }

    init(_ field: FieldSchema, layout: FieldLayout) {
        self.protoName = field.protoName
        self.jsonName = field.jsonName
        self.layout = layout
    }

    var isRepeated: Bool { layout.isRepeated }
}

/// The protobuf wire types.
package enum WireType: UInt8, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}
