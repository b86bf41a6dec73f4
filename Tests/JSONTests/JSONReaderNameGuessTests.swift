import JSON
import Testing

/// `nextName(quoted:or:)`: a guessed member name (either of two) is read in place exactly as `next()` would read it,
/// and anything else is left to `next()`, which reads (or refuses) it as before.
@Suite("JSON parser: guessed member names")
struct JSONReaderNameGuessTests {
    /// Reads `text` guessing `guess` (or `other`, when given) before every token, and traces what each read returned.
    private func guessing(_ guess: String, or other: String? = nil, in text: String) -> [String] {
        Array(text.utf8).withUnsafeBytes { buffer in
            let first = Array("\"\(guess)\"".utf8)
            let second = Array("\"\(other ?? guess)\"".utf8)
            return first.withUnsafeBytes { first in
                second.withUnsafeBytes { second in
                    read(buffer, guessing: first, or: second)
                }
            }
        }
    }

    private func read(
        _ buffer: UnsafeRawBufferPointer, guessing first: UnsafeRawBufferPointer, or second: UnsafeRawBufferPointer
    ) -> [String] {
        var reader = JSONReader(bytes: buffer)
        var lines: [String] = []
        while true {
            if let token = reader.nextName(quoted: first, or: second) {
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

    @Test("either guess is taken, at every length the word-wise comparison handles, and only the whole name")
    func twoGuesses() {
        #expect(
            guessing("aB", or: "a_b", in: #"{"aB":1,"a_b":2,"a_bc":3,"a":4}"#) == [
                "objectStart", "guessed aB 2..<4", "value", "guessed a_b 9..<12", "value", "name a_bc", "value",
                "name a", "value", "objectEnd",
            ])
        for length in 1...20 {
            let name = String(repeating: "n", count: length)
            let longer = name + "x"
            let shorter = String(name.dropLast()) + "x"
            #expect(
                guessing(name, or: "other", in: #"{"\#(name)":1,"\#(longer)":2,"\#(shorter)":3}"#) == [
                    "objectStart", "guessed \(name) 2..<\(2 + length)", "value", "name \(longer)", "value",
                    "name \(shorter)", "value", "objectEnd",
                ])
        }
    }

    @Test("a guess reaching past the end of the input is not read")
    func guessPastTheEnd() {
        #expect(guessing("abcdefghij", in: #"{"abc"#) == ["objectStart", "error unterminated JSON string at 1"])
    }
}
