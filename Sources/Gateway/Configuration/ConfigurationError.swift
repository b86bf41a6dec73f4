/// A configuration that cannot be used, naming the key (`clusters.video.endpoints[1]`) and why.
package struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    package var key: String
    package var message: String

    package init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    package var description: String { self.key.isEmpty ? self.message : "\(self.key): \(self.message)" }
}

/// A coding key for any name: used to see every key a YAML mapping has, unknown ones included.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { self.stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// Refuses keys other than `known` in this mapping, so a misspelt key fails at start instead of
    /// being silently ignored.
    func refuseUnknownKeys(_ known: Set<String>) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw ConfigurationError(
                key: (self.codingPath + [key]).dottedPath,
                "unknown key (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}

extension Array where Element == any CodingKey {
    /// `clusters.video.endpoints[1]`.
    var dottedPath: String {
        var path = ""
        for key in self {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

/// A duration written as text: `250ms`, `5s`, `2m`, `1h` (whole numbers).
struct ConfigDuration: Decodable, Sendable {
    var duration: Duration

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let duration = Self.parse(text) else {
            throw ConfigurationError(
                key: decoder.codingPath.dottedPath, "'\(text)' is not a duration (write 250ms, 5s, 2m or 1h)")
        }
        self.duration = duration
    }

    static func parse(_ text: String) -> Duration? {
        let units: [(String, (Int64) -> Duration)] = [
            ("ms", { .milliseconds($0) }), ("s", { .seconds($0) }), ("m", { .seconds($0 * 60) }),
            ("h", { .seconds($0 * 3600) }),
        ]
        for (suffix, make) in units where text.hasSuffix(suffix) {
            guard let value = Int64(text.dropLast(suffix.count)), value >= 0, value <= 86_400_000 else { return nil }
            return make(value)
        }
        return nil
    }
}
