/// The part of a field's schema that the transcoder reads on every value: trivially copyable (no names, no
/// references), so that taking one from its message schema costs no reference counting.
///
/// The field's quoted JSON names live in its message schema's `quotedNames`, at the offsets kept here.
package struct FieldLayout: Sendable, BitwiseCopyable {
    package let number: UInt32
    /// The tag of one value written unpacked.
    let tag: UInt32
    package let kind: FieldSchema.Kind
    package let cardinality: FieldSchema.Cardinality
    /// Whether repeated values are written packed.
    package let isPacked: Bool
    /// The well-known type of the field's message, if it is one (read here without the message's schema; a byte
    /// declared beside the others, so that the layout stays 56 bytes).
    let messageWellKnown: MessageSchema.WellKnown?
    /// The message type's index in the registry (messages, groups and maps), or -1.
    package let messageIndex: Int
    /// The enum type's index in the registry, or -1.
    package let enumIndex: Int
    /// The index of the real (not synthetic) oneof the field belongs to, or -1.
    package let oneofIndex: Int
    /// Where `"proto_name":` and `"jsonName":` are in the message schema's `quotedNames`.
    let quotedProtoName: NameSpan
    let quotedJSONName: NameSpan

    init(
        number: UInt32, kind: FieldSchema.Kind, cardinality: FieldSchema.Cardinality, messageIndex: Int,
        enumIndex: Int, oneofIndex: Int, isPacked: Bool, messageWellKnown: MessageSchema.WellKnown? = nil,
        quotedProtoName: NameSpan = NameSpan(), quotedJSONName: NameSpan = NameSpan()
    ) {
        self.number = number
        self.tag = number << 3 | UInt32(kind.wireType.rawValue)
        self.kind = kind
        self.cardinality = cardinality
        self.isPacked = isPacked
        self.messageIndex = messageIndex
        self.enumIndex = enumIndex
        self.oneofIndex = oneofIndex
        self.messageWellKnown = messageWellKnown
        self.quotedProtoName = quotedProtoName
        self.quotedJSONName = quotedJSONName
    }

    /// The same layout with its names placed in a message schema's `quotedNames`.
    func placed(proto: NameSpan, json: NameSpan) -> FieldLayout {
        FieldLayout(
            number: number, kind: kind, cardinality: cardinality, messageIndex: messageIndex, enumIndex: enumIndex,
            oneofIndex: oneofIndex, isPacked: isPacked, messageWellKnown: messageWellKnown, quotedProtoName: proto,
            quotedJSONName: json)
    }

    /// The tag of a packed run of values.
    var packedTag: UInt32 { number << 3 | UInt32(WireType.lengthDelimited.rawValue) }
    var isRepeated: Bool { cardinality == .repeated || cardinality == .map }
}

/// Where one quoted name is in a message schema's `quotedNames`.
struct NameSpan: Sendable, BitwiseCopyable {
    var start: Int32 = 0
    var end: Int32 = 0
}
