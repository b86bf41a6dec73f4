import NIOCore
import Testing

@testable import Upstream

@Suite("A pass-through call's kept request writes")
struct RequestWritesTests {
    private func replayed(_ writes: RequestWrites) -> [(String, Bool)] {
        var out: [(String, Bool)] = []
        writes.forEach { data, endStream in out.append((String(buffer: data), endStream)) }
        return out
    }

    @Test("a unary request: its message, then the end on its own write, replays as one write with the end")
    func unary() {
        var writes = RequestWrites()
        #expect(writes.isEmpty)
        writes.append(ByteBuffer(string: "message"), endStream: false)
        writes.append(ByteBuffer(), endStream: true)
        #expect(!writes.isEmpty)
        #expect(writes.ended)
        let out = self.replayed(writes)
        #expect(out.map(\.0) == ["message"])
        #expect(out.map(\.1) == [true])
    }

    @Test("several writes keep their order; only the last carries the end")
    func order() {
        var writes = RequestWrites()
        for part in ["a", "b", "c"] { writes.append(ByteBuffer(string: part), endStream: false) }
        writes.append(ByteBuffer(string: "d"), endStream: true)
        let out = self.replayed(writes)
        #expect(out.map(\.0) == ["a", "b", "c", "d"])
        #expect(out.map(\.1) == [false, false, false, true])
    }

    @Test("a request still open replays without an end; an empty request replays its end alone")
    func openAndEmpty() {
        var open = RequestWrites()
        open.append(ByteBuffer(string: "a"), endStream: false)
        open.append(ByteBuffer(string: "b"), endStream: false)
        #expect(self.replayed(open).map(\.1) == [false, false])
        #expect(!open.ended)

        var empty = RequestWrites()
        empty.append(ByteBuffer(), endStream: true)
        let out = self.replayed(empty)
        #expect(out.count == 1)
        #expect(out.first?.0 == "")
        #expect(out.first?.1 == true)
        #expect(self.replayed(RequestWrites()).isEmpty)
    }
}
