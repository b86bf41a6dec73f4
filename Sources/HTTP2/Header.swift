/// One HTTP/2 header field. Names are lowercase, as HTTP/2 requires.
package struct Header: Sendable, Hashable {
    package var name: String
    package var value: String
    /// Sent as "never indexed" so intermediaries keep it out of HPACK tables (credentials).
    package var neverIndex: Bool

    package init(_ name: String, _ value: String, neverIndex: Bool = false) {
        self.name = name
        self.value = value
        self.neverIndex = neverIndex
    }
}

extension Array where Element == Header {
    /// The value of the first field named `name` (which must be lowercase).
    package func first(_ name: String) -> String? {
        for header in self where header.name == name { return header.value }
        return nil
    }
}
