/// A parsed JSON value; objects keep their member order.
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case integer(Int64)
    /// Any other number (possibly infinite when the text overflows a Double).
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object whose member names are unique (the parser rejects duplicates).
struct JSONObject: Equatable, Sendable {
    /// One `"name": value` pair.
    struct Member: Equatable, Sendable {
        let name: String
        let value: JSONValue
    }

    let members: [Member]

    /// The value of the member called `name`, compared byte for byte (no Unicode normalisation).
    subscript(name: String) -> JSONValue? {
        for member in members where member.name.utf8.elementsEqual(name.utf8) {
            return member.value
        }
        return nil
    }
}
