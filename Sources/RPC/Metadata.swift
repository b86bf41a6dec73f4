import Foundation

/// gRPC metadata: ordered key-value pairs; keys are lowercase and keys ending in `-bin` carry bytes.
package struct Metadata: Sendable, Hashable {
    package enum Value: Sendable, Hashable {
        case string(String)
        case binary([UInt8])
    }

    package private(set) var entries: [(key: String, value: Value)] = []

    package init() {}

    package init(_ pairs: KeyValuePairs<String, String>) {
        for (key, value) in pairs { self.add(key, value) }
    }

    package var isEmpty: Bool { self.entries.isEmpty }
    package var count: Int { self.entries.count }

    /// Adds a text value (the key is lowercased).
    package mutating func add(_ key: String, _ value: String) {
        self.entries.append((Self.lowercased(key), .string(value)))
    }

    /// Adds a binary value; the key must end in `-bin`.
    package mutating func add(_ key: String, bytes: [UInt8]) {
        precondition(key.hasSuffix("-bin"), "binary metadata keys end in -bin")
        self.entries.append((Self.lowercased(key), .binary(bytes)))
    }

    /// Room for `count` entries before the next allocation.
    package mutating func reserveCapacity(_ count: Int) {
        self.entries.reserveCapacity(count)
    }

    /// `key` lowercased; a key already in lowercase ASCII (as code writes them) is kept as it is.
    private static func lowercased(_ key: String) -> String {
        let lowercaseASCII = { (byte: UInt8) in
            byte < 0x80 && !(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        }
        // Over the contiguous bytes: the generic `allSatisfy` walk cost ~200 instructions a key.
        let isLowercaseASCII =
            key.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(lowercaseASCII) }
            ?? key.utf8.allSatisfy(lowercaseASCII)
        return isLowercaseASCII ? key : key.lowercased()
    }

    /// Removes every value of `key`.
    package mutating func remove(_ key: String) {
        self.entries.removeAll { $0.key == key }
    }

    /// The first text value of `key`.
    package subscript(key: String) -> String? {
        for entry in self.entries where entry.key == key {
            if case .string(let value) = entry.value { return value }
        }
        return nil
    }

    /// The first binary value of `key` (a `-bin` key).
    package func bytes(_ key: String) -> [UInt8]? {
        for entry in self.entries where entry.key == key {
            if case .binary(let value) = entry.value { return value }
        }
        return nil
    }

    package static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    package func hash(into hasher: inout Hasher) {
        for entry in self.entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension Metadata {
    /// Wire form of one entry: `-bin` values are base64 (padded) as gRPC requires.
    static func wireValue(_ value: Value) -> String {
        switch value {
        case .string(let string): string
        case .binary(let bytes): Data(bytes).base64EncodedString()
        }
    }

    /// Parses a received header into metadata; false if a `-bin` value is not base64.
    @discardableResult
    mutating func addReceived(name: String, value: String) -> Bool {
        guard name.hasSuffix("-bin") else {
            self.entries.append((name, .string(value)))
            return true
        }
        // Senders may omit base64 padding.
        var padded = value
        let remainder = padded.utf8.count % 4
        if remainder != 0 { padded += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: padded) else { return false }
        self.entries.append((name, .binary(Array(data))))
        return true
    }
}
