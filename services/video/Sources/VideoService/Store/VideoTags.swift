import Foundation
import ServiceSupport

/// Tags as stored: a JSON array of strings in a text column (both dialects).
package enum VideoTags {
    package static func encode(_ tags: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
    }

    /// Reads `["a","b"]` directly when no string in it has an escape (what the encoder writes for
    /// plain tags); anything else goes through `JSONDecoder`.
    package static func decode(_ text: UnsafeBufferPointer<UInt8>) throws -> [String] {
        if let tags = Self.plain(text) { return tags }
        do {
            return try JSONDecoder().decode([String].self, from: Data(text))
        } catch {
            throw DatabaseError(code: .other, cause: CorruptRow(column: "tags"))
        }
    }

    package static func decode(_ text: String) throws -> [String] {
        var text = text
        return try text.withUTF8 { try Self.decode($0) }
    }

    /// `["a","b"]` with no escapes and no white space; nil for anything else.
    private static func plain(_ text: UnsafeBufferPointer<UInt8>) -> [String]? {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), backslash = UInt8(ascii: "\\")
        guard text.count >= 2, text.first == UInt8(ascii: "["), text.last == UInt8(ascii: "]") else { return nil }
        let end = text.count - 1
        var position = 1
        var tags: [String] = []
        if position == end { return tags }
        while true {
            guard text[position] == quote else { return nil }
            let start = position + 1
            var close = start
            while close < end, text[close] != quote {
                // Escapes and control characters: leave them to the real decoder.
                if text[close] == backslash || text[close] < 0x20 { return nil }
                close += 1
            }
            guard close < end else { return nil }
            tags.append(String(decoding: UnsafeBufferPointer(rebasing: text[start..<close]), as: UTF8.self))
            position = close + 1
            if position == end { return tags }
            guard text[position] == comma else { return nil }
            position += 1
        }
    }
}
