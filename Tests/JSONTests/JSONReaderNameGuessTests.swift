import JSON
import Testing

/// `nextName(equalTo:)`: a guessed member name is read in place exactly as `next()` would read it, and anything
/// else is left to `next()`, which reads (or refuses) it as before.
@Suite("JSON parser: guessed member names")
struct JSONReaderNameGuessTests {
    /// Reads `text` guessing `guess` before every token, and traces what each read returned.
    private func guessing(_ guess: String, in text: String) -> [String] {
        Array(text.utf8).withUnsafeBytes { buffer in
            Array(guess.utf8).withUnsafeBytes { expected in
                var reader = JSONReader(bytes: buffer)
                var lines: [String] = []
                while true {
                    if let token = reader.nextName(equalTo: expected) {
                        lines.append("guessed \(reader.string(token)) \(token.start)..<\(token.end)")
                        continue
                    }
                    do throws(JSONError) {
                        let token = try reader.next()
                        switch token.kind {
                        case .name: lines.append("name \(reader.string(token))")
                        case .end: return lines
                        case .objectStart, .objectEnd, .arrayStart, .arrayEnd: lines.append("\(token.kind)")
                        default: lines.append("value")
                        }
                    } catch {
                        lines.append("error \(error.message) at \(error.offset)")
                        return lines
                    }
                }
            }
        }
    }

    @Test("a guessed name is read with the whitespace and separators around it, at the offsets next() gives")
    func guessedNames() {
        #expect(
            guessing("id", in: #"{ "id" : 1 ,  "id":2,"idx":3,"i":4}"#) == [
                "objectStart", "guessed id 3..<5", "value", "guessed id 15..<17", "value", "name idx", "value",
                "name i", "value", "objectEnd",
            ])
    }

    @Test("an escaped spelling, a string value and an array element are not taken for the guessed name")
    func notNames() {
        #expect(
            guessing("id", in: #"{"i\u0064":"id","a":["id"]}"#) == [
                "objectStart", "name id", "value", "name a", "arrayStart", "value", "arrayEnd", "objectEnd",
            ])
    }

    @Test("malformed input after a guessable name is refused by next(), at the same offset as without guessing")
    func errorsStayWithNext() {
        #expect(guessing("id", in: #"{"id" 1}"#) == ["objectStart", #"error expected ':' at 6"#])
        #expect(
            guessing("id", in: #"{"id":1 "id":2}"#) == [
                "objectStart", "guessed id 2..<4", "value", "error expected ',' or '}' at 8",
            ])
    }
}
