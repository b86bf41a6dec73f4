/// One HTTP/2 header field. Names are lowercase, as HTTP/2 requires.
package struct Header: Sendable, Hashable {
    package var name: String
    package var value: String
    /// Sent as "never indexed" so intermediaries keep it out of HPACK tables (credentials).
    package var neverIndex: Bool
    /// What the name is, for received headers (`.other` on headers built to send).
    package var token: HeaderToken

    package init(_ name: String, _ value: String, neverIndex: Bool = false) {
        self.name = name
        self.value = value
        self.neverIndex = neverIndex
        self.token = .other
    }

    init(token: HeaderToken, name: String, value: String) {
        self.name = name
        self.value = value
        self.neverIndex = false
        self.token = token
    }
}

extension Array where Element == Header {
    /// The value of the first field named `name` (which must be lowercase).
    package func first(_ name: String) -> String? {
        // By index: a `for header in self` loop copies each field (two reference counts).
        for index in self.indices where self[index].name == name { return self[index].value }
        return nil
    }

    /// The value of the first received field with `token`.
    package func first(_ token: HeaderToken) -> String? {
        for index in self.indices where self[index].token == token { return self[index].value }
        return nil
    }
}
