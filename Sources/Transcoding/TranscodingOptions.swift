/// How JSON is read and written: the proto3 JSON mapping by default, with the presentation choices a gateway's
/// configuration may make.
package struct TranscodingOptions: Sendable, Equatable {
    /// Field names in JSON output.
    package enum FieldNames: Sendable, Equatable {
        /// lowerCamel `json_name`s (the proto3 mapping's default).
        case json
        /// The names as written in the .proto file.
        case proto
    }

    /// Enum values in JSON output.
    package enum EnumNames: Sendable, Equatable {
        /// The value's name as declared (`METRIC_VIEWS`).
        case proto
        /// The name without the enum's common prefix, lower-cased (`views`).
        case shortLowercase
    }

    package var outputFieldNames = FieldNames.json
    /// Writes fields without presence at their default values (0, "", false, [], {}), as protobuf's
    /// `always_print_fields_with_no_presence`.
    package var emitDefaultValues = false
    /// Writes 64-bit integers inside ±(2^53−1) as JSON numbers rather than strings.
    package var int64AsNumberWhenSafe = false
    package var outputEnumNames = EnumNames.proto
    /// Also accepts enum values by short name, ignoring ASCII case (`views`, `VIEWS` for `METRIC_VIEWS`).
    package var acceptShortEnumNames = false
    /// Deepest nesting of JSON input and of messages in wire input (at most 100).
    package var maximumDepth = 64

    package init() {}

    /// Strict proto3 JSON.
    package static var strict: TranscodingOptions { TranscodingOptions() }

    /// Halo's public REST API (DESIGN.md §5): proto names, defaults emitted, int64 as numbers when safe, short
    /// lower-case enum names in and out.
    package static var halo: TranscodingOptions {
        var options = TranscodingOptions()
        options.outputFieldNames = .proto
        options.emitDefaultValues = true
        options.int64AsNumberWhenSafe = true
        options.outputEnumNames = .shortLowercase
        options.acceptShortEnumNames = true
        return options
    }
}
