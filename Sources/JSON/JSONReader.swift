/// A strict, pull-style RFC 8259 tokenizer over bytes it does not own: the one JSON reader in Halo.
///
/// It checks the whole grammar as it goes (separators, nesting, exactly one top-level value, nothing after it),
/// validates UTF-8 in every string (no overlong forms, no encoded surrogates), refuses control characters,
/// invalid escapes and lone surrogate escapes, and bounds nesting by `maximumDepth` (at most 128). It allocates
/// nothing: tokens are offsets into the input, so numbers stay text until the consumer parses them for the type
/// it needs. It is a value type, so a consumer that must look ahead (an `Any`'s `@type`) copies it and rewinds.
///
/// The caller keeps `bytes` alive while the reader is in use (`withUnsafeBytes` around the whole read).
package struct JSONReader {
    /// What the next token may be.
    private enum State: UInt8 {
        /// The single top-level value.
        case topValue
        /// After the top-level value: only whitespace, then the end.
        case afterTop
        /// After `{`: a name or `}`.
        case firstName
        /// After `,` in an object: a name.
        case name
        /// After `name:`: a value.
        case memberValue
        /// After `[`: a value or `]`.
        case firstElement
        /// After `,` in an array: a value.
        case element
        /// After a value inside a container: `,` or the container's end.
        case afterValue
        /// The end was returned.
        case finished
    }

    package let bytes: UnsafeRawBufferPointer
    /// `bytes`' start and count, held apart: reading through the buffer checked its base for nil and subtracted
    /// its ends on every byte (an empty input gets a base that is never read).
    let base: UnsafeRawPointer
    let length: Int
    package let maximumDepth: Int
    /// Current nesting depth (the number of open objects and arrays).
    package private(set) var depth = 0
    /// The offset of the next byte to read.
    package internal(set) var position = 0
    private var state = State.topValue
    /// One bit per open container, innermost at bit `depth - 1`: set for an object, clear for an array.
    private var containers: (low: UInt64, high: UInt64) = (0, 0)

    /// A reader of `bytes`, which must hold exactly one JSON value, nested at most `maximumDepth` deep.
    package init(bytes: UnsafeRawBufferPointer, maximumDepth: Int = 64) {
        precondition(maximumDepth >= 1 && maximumDepth <= 128, "JSONReader supports depths 1...128")
        self.bytes = bytes
        self.base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.length = bytes.count
        self.maximumDepth = maximumDepth
    }

    /// The input byte at `offset` (below `length`).
    @inline(__always)
    subscript(offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Whether the innermost open container is an object.
    package var isInObject: Bool {
        guard depth > 0 else { return false }
        let bit = depth - 1
        return bit < 64 ? containers.low & (1 << UInt64(bit)) != 0 : containers.high & (1 << UInt64(bit - 64)) != 0
    }

    /// The next token; throws on the first byte that breaks the grammar.
    package mutating func next() throws(JSONError) -> JSONToken {
        skipWhitespace()
        switch state {
        case .topValue, .memberValue, .element:
            return try value()
        case .firstElement:
            if position < length, self[position] == .closeBracket { return close(.arrayEnd) }
            return try value()
        case .firstName:
            if position < length, self[position] == .closeBrace { return close(.objectEnd) }
            return try name()
        case .name:
            return try name()
        case .afterValue:
            guard position < length else { throw JSONError("unexpected end of JSON", at: position) }
            let byte = self[position]
            let inObject = isInObject
            if byte == .comma {
                position += 1
                skipWhitespace()
                if inObject { return try name() }
                return try value()
            }
            if inObject, byte == .closeBrace { return close(.objectEnd) }
            if !inObject, byte == .closeBracket { return close(.arrayEnd) }
            throw JSONError(inObject ? "expected ',' or '}'" : "expected ',' or ']'", at: position)
        case .afterTop:
            guard position == length else { throw JSONError("unexpected data after the JSON value", at: position) }
            state = .finished
            return JSONToken(kind: .end, start: position, end: position)
        case .finished:
            return JSONToken(kind: .end, start: position, end: position)
        }
    }

    /// The value of the member whose name was the last token read (by `next()` or `nextName(quoted:or:)`): what
    /// `next()` returns there, without its dispatch on the reader's state (a name is always followed by its
    /// colon, then the value).
    package mutating func nextMemberValue() throws(JSONError) -> JSONToken {
        assert(state == .memberValue, "nextMemberValue() after a token other than a name")
        skipWhitespace()
        return try value()
    }

    /// Reads the next token if it is a member name spelled exactly as one of two guesses, given with their quotes
    /// (`"name"`: no escapes, no whitespace inside the quotes), and returns it as `next()` would; otherwise returns
    /// nil and reads nothing, leaving any error to `next()`. Each guess must be printable ASCII without `"` or `\`
    /// between its quotes (field names are), so that matching its bytes, quotes included, is the whole check a
    /// string scan would make. The separator and whitespace before the name are read once for both guesses.
    package mutating func nextName(
        quoted first: UnsafeRawBufferPointer, or second: UnsafeRawBufferPointer
    ) -> JSONToken? {
        var cursor = afterWhitespace(position)
        switch state {
        case .firstName, .name:
            break
        case .afterValue:
            guard isInObject, cursor < length, self[cursor] == .comma else { return nil }
            cursor = afterWhitespace(cursor &+ 1)
        default:
            return nil
        }
        let here = base + cursor
        let rest = length &- cursor
        let quotedCount: Int
        if first.count <= rest, Self.equalBytes(here, first.baseAddress!, first.count) {
            quotedCount = first.count
        } else if second.count <= rest, Self.equalBytes(here, second.baseAddress!, second.count) {
            quotedCount = second.count
        } else {
            return nil
        }
        let start = cursor &+ 1
        let end = cursor &+ quotedCount &- 1
        cursor = afterWhitespace(end &+ 1)
        guard cursor < length, self[cursor] == .colon else { return nil }
        position = cursor &+ 1
        state = .memberValue
        return JSONToken(kind: .name, start: start, end: end, flag: false)
    }

    /// Whether `count` bytes (at least 2) at `lhs` and `rhs` are equal, compared a word at a time (the last word
    /// overlapping the one before): a quoted name of a dozen bytes is two loads and two compares, where a loop
    /// over its bytes was six instructions a byte.
    @inline(__always)
    static func equalBytes(_ lhs: UnsafeRawPointer, _ rhs: UnsafeRawPointer, _ count: Int) -> Bool {
        func equal<Word: FixedWidthInteger>(_: Word.Type, at offset: Int) -> Bool {
            lhs.loadUnaligned(fromByteOffset: offset, as: Word.self)
                == rhs.loadUnaligned(fromByteOffset: offset, as: Word.self)
        }
        if count >= 8 {
            var offset = 0
            while offset + 8 < count {
                guard equal(UInt64.self, at: offset) else { return false }
                offset += 8
            }
            return equal(UInt64.self, at: count - 8)
        }
        if count >= 4 { return equal(UInt32.self, at: 0) && equal(UInt32.self, at: count - 4) }
        return equal(UInt16.self, at: 0) && equal(UInt16.self, at: count - 2)
    }

    /// Skips the value whose first token is `token` (already read), including everything nested in it.
    package mutating func skipValue(startingWith token: JSONToken) throws(JSONError) {
        guard token.kind == .objectStart || token.kind == .arrayStart else { return }
        let target = depth - 1
        while depth > target {
            _ = try next()
        }
    }

    // MARK: - Values

    private mutating func value() throws(JSONError) -> JSONToken {
        guard position < length else { throw JSONError("unexpected end of JSON", at: position) }
        let start = position
        switch self[position] {
        case .openBrace:
            try open(object: true)
            state = .firstName
            return JSONToken(kind: .objectStart, start: start, end: start + 1)
        case .openBracket:
            try open(object: false)
            state = .firstElement
            return JSONToken(kind: .arrayStart, start: start, end: start + 1)
        case .quote:
            let (end, escaped) = try scanString()
            finishValue()
            return JSONToken(kind: .string, start: start + 1, end: end, flag: escaped)
        case UInt8(ascii: "t"):
            try literal("true")
            finishValue()
            return JSONToken(kind: .true, start: start, end: position)
        case UInt8(ascii: "f"):
            try literal("false")
            finishValue()
            return JSONToken(kind: .false, start: start, end: position)
        case UInt8(ascii: "n"):
            try literal("null")
            finishValue()
            return JSONToken(kind: .null, start: start, end: position)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let fractional = try scanNumber()
            finishValue()
            return JSONToken(kind: .number, start: start, end: position, flag: fractional)
        default:
            throw JSONError("unexpected character in JSON", at: position)
        }
    }

    private mutating func name() throws(JSONError) -> JSONToken {
        guard position < length, self[position] == .quote else {
            throw JSONError("expected a member name", at: position)
        }
        let start = position
        let (end, escaped) = try scanString()
        skipWhitespace()
        guard position < length, self[position] == .colon else { throw JSONError("expected ':'", at: position) }
        position += 1
        state = .memberValue
        return JSONToken(kind: .name, start: start + 1, end: end, flag: escaped)
    }

    private mutating func finishValue() {
        state = depth == 0 ? .afterTop : .afterValue
    }

    private mutating func open(object: Bool) throws(JSONError) {
        guard depth < maximumDepth else { throw JSONError("JSON nested too deeply", at: position) }
        let bit = depth
        if bit < 64 {
            let mask = UInt64(1) << UInt64(bit)
            containers.low = object ? containers.low | mask : containers.low & ~mask
        } else {
            let mask = UInt64(1) << UInt64(bit - 64)
            containers.high = object ? containers.high | mask : containers.high & ~mask
        }
        depth += 1
        position += 1
    }

    private mutating func close(_ kind: JSONToken.Kind) -> JSONToken {
        let start = position
        position += 1
        depth -= 1
        finishValue()
        return JSONToken(kind: kind, start: start, end: position)
    }

    private mutating func literal(_ text: StaticString) throws(JSONError) {
        let count = text.utf8CodeUnitCount
        guard position + count <= length else { throw JSONError("invalid JSON literal", at: position) }
        let pointer = text.utf8Start
        for offset in 0..<count where self[position + offset] != pointer[offset] {
            throw JSONError("invalid JSON literal", at: position)
        }
        position += count
    }

    /// The offset of the first byte at or after `offset` that is not whitespace.
    @inline(__always)
    private func afterWhitespace(_ offset: Int) -> Int {
        var cursor = offset
        while cursor < length {
            switch self[cursor] {
            case 0x20, 0x0A, 0x0D, 0x09: cursor &+= 1
            default: return cursor
            }
        }
        return cursor
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < length {
            switch self[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position &+= 1
            default: return
            }
        }
    }

    // MARK: - Numbers

    /// Scans `-? int frac? exp?` and returns whether a fraction or an exponent was present.
    private mutating func scanNumber() throws(JSONError) -> Bool {
        let start = position
        if self[position] == UInt8(ascii: "-") { position += 1 }
        guard position < length, self[position].isDigit else { throw JSONError("invalid JSON number", at: start) }
        if self[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < length, self[position].isDigit { position += 1 }
        }
        var fractional = false
        if position < length, self[position] == UInt8(ascii: ".") {
            fractional = true
            position += 1
            guard skipDigits() else { throw JSONError("invalid JSON number", at: start) }
        }
        if position < length, self[position] | 0x20 == UInt8(ascii: "e") {
            fractional = true
            position += 1
            if position < length, self[position] == UInt8(ascii: "+") || self[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard skipDigits() else { throw JSONError("invalid JSON number", at: start) }
        }
        if position < length, self[position].isDigit || self[position] == UInt8(ascii: ".") {
            throw JSONError("invalid JSON number", at: start)
        }
        return fractional
    }

    private mutating func skipDigits() -> Bool {
        let start = position
        while position < length, self[position].isDigit { position += 1 }
        return position > start
    }
}

extension UInt8 {
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")

    var isDigit: Bool { self &- UInt8(ascii: "0") < 10 }
}
