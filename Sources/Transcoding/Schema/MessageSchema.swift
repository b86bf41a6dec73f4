/// One message type: its fields in field-number order, looked up by number and by either JSON name. A class, so
/// that the transcoder's many lookups share it without copying its arrays.
package final class MessageSchema: Sendable {
    /// Message types whose JSON form is special (the proto3 JSON mapping's well-known types).
    package enum WellKnown: UInt8, Sendable, BitwiseCopyable {
        case any, timestamp, duration, fieldMask, empty, `struct`, value, listValue
        case doubleValue, floatValue, int64Value, uint64Value, int32Value, uint32Value, boolValue, stringValue
        case bytesValue

        init?(fullName: String) {
            switch fullName {
            case "google.protobuf.Any": self = .any
            case "google.protobuf.Timestamp": self = .timestamp
            case "google.protobuf.Duration": self = .duration
            case "google.protobuf.FieldMask": self = .fieldMask
            case "google.protobuf.Empty": self = .empty
            case "google.protobuf.Struct": self = .struct
            case "google.protobuf.Value": self = .value
            case "google.protobuf.ListValue": self = .listValue
            case "google.protobuf.DoubleValue": self = .doubleValue
            case "google.protobuf.FloatValue": self = .floatValue
            case "google.protobuf.Int64Value": self = .int64Value
            case "google.protobuf.UInt64Value": self = .uint64Value
            case "google.protobuf.Int32Value": self = .int32Value
            case "google.protobuf.UInt32Value": self = .uint32Value
            case "google.protobuf.BoolValue": self = .boolValue
            case "google.protobuf.StringValue": self = .stringValue
            case "google.protobuf.BytesValue": self = .bytesValue
            default: return nil
            }
        }

        /// Whether the type is one of the nine wrappers, whose JSON is their `value` field's.
        var isWrapper: Bool { rawValue >= WellKnown.doubleValue.rawValue }
    }

    package let fullName: String
    /// Fields sorted by number.
    package let fields: [FieldSchema]
    /// `fields`' layouts, in the same order: what the transcoder reads per value, with no reference counting.
    let layouts: [FieldLayout]
    /// Every field's `"proto_name":` and `"jsonName":`, one after another (offsets in each `FieldLayout`).
    let quotedNames: [UInt8]
    /// Names of the real oneofs, by oneof index.
    package let oneofNames: [String]
    package let wellKnown: WellKnown?
    package let isMapEntry: Bool
    private let byName: NameTable
    /// Whether every name (JSON or proto) belongs to one field only.
    private let namesAreUnique: Bool
    /// Whether, besides, every name is printable ASCII without `"` or `\\`.
    private let namesAreGuessable: Bool
    /// Field index by number for numbers below `denseLimit`; -1 where there is none.
    private let byNumberDense: [Int16]
    private let byNumberSparse: [UInt32: Int]

    init(fullName: String, fields: [FieldSchema], oneofNames: [String], isMapEntry: Bool) {
        self.fullName = fullName
        var quotedNames: [UInt8] = []
        func place(_ name: String) -> NameSpan {
            let start = Int32(quotedNames.count)
            quotedNames.append(contentsOf: "\"\(name)\":".utf8)
            return NameSpan(start: start, end: Int32(quotedNames.count))
        }
        self.fields = fields.sorted { $0.number < $1.number }.map { field in
            let proto = place(field.protoName)
            let json = place(field.jsonName)
            return FieldSchema(field, layout: field.layout.placed(proto: proto, json: json))
        }
        self.layouts = self.fields.map(\.layout)
        self.quotedNames = quotedNames
        self.oneofNames = oneofNames
        self.wellKnown = WellKnown(fullName: fullName)
        self.isMapEntry = isMapEntry
        var names: [([UInt8], Int)] = []
        for (index, field) in self.fields.enumerated() {
            names.append((Array(field.jsonName.utf8), index))
            names.append((Array(field.protoName.utf8), index))
        }
        let table = NameTable(names)
        byName = table
        var unique = true
        for (name, index) in names where name.withUnsafeBytes({ table.lookup($0) }) != index { unique = false }
        namesAreUnique = unique
        namesAreGuessable =
            unique
            && names.allSatisfy { name, _ in
                name.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            }
        let denseLimit = 256
        var dense = [Int16](repeating: -1, count: min(denseLimit, Int(self.fields.last?.number ?? 0) + 1))
        var sparse: [UInt32: Int] = [:]
        for (index, field) in self.fields.enumerated() {
            if field.number < dense.count {
                dense[Int(field.number)] = Int16(index)
            } else {
                sparse[field.number] = index
            }
        }
        byNumberDense = dense
        byNumberSparse = sparse
    }

    /// Whether field `index` (if there is one) is called `name`, by its JSON name or its proto name: a check of
    /// lengths and bytes, cheaper than a hash lookup when the caller can guess the field. False for every field
    /// when some name belongs to two fields, so that a guess never finds a different field than the table would.
    @inline(__always)
    func field(_ index: Int, isNamed name: UnsafeRawBufferPointer) -> Bool {
        guard namesAreUnique, index < layouts.count else { return false }
        let layout = layouts[index]
        return quotedNames.withUnsafeBytes { names in
            Self.span(layout.quotedJSONName, in: names, equals: name)
                || Self.span(layout.quotedProtoName, in: names, equals: name)
        }
    }

    /// Whether the name quoted at `span` (`"name":`) is `name`.
    @inline(__always)
    private static func span(
        _ span: NameSpan, in names: UnsafeRawBufferPointer, equals name: UnsafeRawBufferPointer
    )
        -> Bool
    {
        let count = Int(span.end - span.start) - 3
        guard count == name.count else { return false }
        return count == 0 || NameTable.equal(names.baseAddress! + Int(span.start) + 1, name.baseAddress!, count)
    }

    /// Calls `body` with the JSON and proto names of field `index`, each between its quotes (`"name"`), when there
    /// is such a field and every name of the message is unique and printable ASCII without `"` or `\\` (what
    /// `JSONReader.nextName(quoted:or:)` needs); nil otherwise.
    @inline(__always)
    func withGuessableNames<Result>(
        of index: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Result?
    ) -> Result? {
        guard namesAreGuessable, index < layouts.count else { return nil }
        let layout = layouts[index]
        return quotedNames.withUnsafeBytes { names in
            body(Self.quoted(layout.quotedJSONName, in: names), Self.quoted(layout.quotedProtoName, in: names))
        }
    }

    /// The name quoted at `span` (`"name":`) with its quotes, without the colon.
    @inline(__always)
    private static func quoted(_ span: NameSpan, in names: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: names[Int(span.start)..<Int(span.end) - 1])
    }

    /// The index of the field called `name` (its JSON name or its proto name).
    func fieldIndex(named name: UnsafeRawBufferPointer) -> Int? {
        byName.lookup(name)
    }

    /// The index of the field numbered `number`.
    @inline(__always)
    func fieldIndex(number: UInt32) -> Int? {
        if number < byNumberDense.count {
            let index = byNumberDense[Int(number)]
            return index < 0 ? nil : Int(index)
        }
        return byNumberSparse[number]
    }
}
