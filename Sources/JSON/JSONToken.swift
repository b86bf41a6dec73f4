/// One token from a `JSONReader`: its kind and where its text is in the input.
///
/// Strings and member names point at the bytes between the quotes (still escaped when `hasEscapes`); numbers
/// point at their text, so that a consumer parses them exactly as int64, uint64 or double; the other kinds point
/// at their first byte.
package struct JSONToken: Equatable, Sendable {
    /// What the token is.
    package enum Kind: UInt8, Sendable {
        case objectStart, objectEnd, arrayStart, arrayEnd
        /// A member name; the reader has consumed the `:` after it, so the next token is the member's value.
        case name
        case string, number, `true`, `false`, null
        /// The end of the input, after exactly one top-level value.
        case end
    }

    package var kind: Kind
    /// The first byte of the token's text (for strings and names, the byte after the opening quote).
    package var start: Int
    /// One past the last byte of the token's text (for strings and names, the closing quote).
    package var end: Int
    /// For strings and names: whether the text contains backslash escapes. For numbers: whether the text has a
    /// fraction or an exponent.
    package var flag: Bool

    package init(kind: Kind, start: Int, end: Int, flag: Bool = false) {
        self.kind = kind
        self.start = start
        self.end = end
        self.flag = flag
    }

    /// Whether the number token was written with a fraction or an exponent.
    package var hasFractionOrExponent: Bool { flag }
    /// Whether the string or name token contains escapes.
    package var hasEscapes: Bool { flag }
    /// Whether the token begins a value (a scalar, an object or an array).
    package var isValueStart: Bool {
        switch kind {
        case .objectStart, .arrayStart, .string, .number, .true, .false, .null: true
        case .objectEnd, .arrayEnd, .name, .end: false
        }
    }
}
