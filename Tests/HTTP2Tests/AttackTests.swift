import HTTP2
import NIOCore
import NIOEmbedded
import Testing

/// RELIABILITY.md case 12: HTTP/2 protocol attacks against the server role.
@Suite("HTTP/2 protocol attacks")
struct AttackTests {
    static let enhanceYourCalm: UInt32 = 0xB

    @Test("rapid reset: HEADERS + RST_STREAM in a loop ends in GOAWAY ENHANCE_YOUR_CALM")
    func rapidReset() throws {
        var configuration = Configuration()
        configuration.maxResetBurst = 50
        configuration.resetsPerSecond = 10
        let server = try RawServer(configuration: configuration)
        var stream: UInt32 = 1
        for _ in 0..<200 where server.channel.isActive {
            var frames = RawFrames.headers(stream: stream, block: RawFrames.requestBlock())
            var reset = RawFrames.rstStream(stream: stream)
            frames.writeBuffer(&reset)
            try server.send(frames)
            stream += 2
        }
        #expect(server.goAwayCode == Self.enhanceYourCalm)
        #expect(!server.channel.isActive)
        #expect(server.delegate.accepted <= 51)
    }

    @Test("resets within the rate are fine")
    func resetsWithinRate() throws {
        var configuration = Configuration()
        configuration.maxResetBurst = 50
        configuration.resetsPerSecond = 10
        let server = try RawServer(configuration: configuration)
        var stream: UInt32 = 1
        for _ in 0..<40 {
            var frames = RawFrames.headers(stream: stream, block: RawFrames.requestBlock())
            var reset = RawFrames.rstStream(stream: stream)
            frames.writeBuffer(&reset)
            try server.send(frames)
            stream += 2
        }
        #expect(server.goAwayCode == nil)
        #expect(server.channel.isActive)
    }

    @Test("resets of streams already answered do not count as rapid reset")
    func resetsAfterResponse() throws {
        var configuration = Configuration()
        configuration.maxResetBurst = 10
        configuration.resetsPerSecond = 1
        let server = try RawServer(configuration: configuration)
        var stream: UInt32 = 1
        for _ in 0..<50 {
            // The request is complete, so the server answers before the reset arrives.
            try server.send(RawFrames.headers(stream: stream, block: RawFrames.requestBlock(), endStream: true))
            try server.send(RawFrames.rstStream(stream: stream, code: 0x8))
            stream += 2
        }
        #expect(server.goAwayCode == nil)
        #expect(server.delegate.accepted == 50)
    }

    @Test("HPACK bomb: one large table entry referenced over and over resets the stream, then the connection")
    func hpackBomb() throws {
        var configuration = Configuration()
        configuration.maxHeaderListSize = 16 * 1024
        configuration.maxOversizedHeaderBlocks = 3
        let server = try RawServer(configuration: configuration)
        var stream: UInt32 = 1
        for round in 0..<6 where server.channel.isActive {
            var block = RawFrames.requestBlock()
            if round == 0 {
                // A 4000-byte value into the dynamic table (index 62).
                RawFrames.literal("x-bomb", String(repeating: "b", count: 4000), indexed: true, into: &block)
            }
            // Each one-byte reference expands to 4 KB: 1000 of them would be 4 MB of headers.
            for _ in 0..<1000 { RawFrames.indexed(62, into: &block) }
            try server.send(RawFrames.headers(stream: stream, block: block, endStream: true))
            if round == 0 { #expect(server.resets[1] != nil) }
            stream += 2
        }
        #expect(server.delegate.accepted == 0)
        #expect(server.goAwayCode == Self.enhanceYourCalm)
        #expect(!server.channel.isActive)
    }

    @Test("too many header fields reset the stream; a normal request still works")
    func tooManyHeaders() throws {
        var configuration = Configuration()
        configuration.maxHeaderCount = 64
        let server = try RawServer(configuration: configuration)
        let many = (0..<100).map { ("x-h\($0)", "v") }
        try server.send(RawFrames.headers(stream: 1, block: RawFrames.requestBlock(extra: many), endStream: true))
        #expect(server.resets[1] != nil)
        try server.send(RawFrames.headers(stream: 3, block: RawFrames.requestBlock(), endStream: true))
        #expect(server.delegate.accepted == 1)
        #expect(server.resets[3] == nil)
        #expect(server.channel.isActive)
    }

    @Test("CONTINUATION flood: endless CONTINUATION frames end the connection")
    func continuationFlood() throws {
        let server = try RawServer(configuration: Configuration())
        try server.send(RawFrames.headers(stream: 1, block: RawFrames.requestBlock(), endHeaders: false))
        for index in 0..<1000 where server.channel.isActive {
            var block = ByteBuffer()
            RawFrames.literal("x-c\(index)", "v", into: &block)
            try server.send(RawFrames.continuation(stream: 1, block: block, endHeaders: false))
        }
        #expect(!server.channel.isActive)
        #expect(server.goAwayCode != nil)
        #expect(server.delegate.accepted == 0)
    }

    @Test("streams beyond the acknowledged SETTINGS_MAX_CONCURRENT_STREAMS end the connection: GOAWAY PROTOCOL_ERROR")
    func maxConcurrentStreams() throws {
        var configuration = Configuration()
        configuration.maxConcurrentStreams = 10
        let server = try RawServer(configuration: configuration)
        try server.send(RawFrames.settingsAck())
        var stream: UInt32 = 1
        for _ in 0..<15 {
            try server.send(RawFrames.headers(stream: stream, block: RawFrames.requestBlock()))
            stream += 2
        }
        // RELIABILITY.md case 12: at most ten handlers ever run, and the peer that ignored the
        // limit it acknowledged loses the connection.
        #expect(server.delegate.accepted == 10)
        #expect(server.goAwayCode == 0x1)
        #expect(!server.channel.isActive)
    }

    @Test("streams beyond a SETTINGS_MAX_CONCURRENT_STREAMS not yet acknowledged are refused one by one")
    func maxConcurrentStreamsBeforeAcknowledgement() throws {
        var configuration = Configuration()
        configuration.maxConcurrentStreams = 10
        let server = try RawServer(configuration: configuration)
        var stream: UInt32 = 1
        for _ in 0..<15 {
            try server.send(RawFrames.headers(stream: stream, block: RawFrames.requestBlock()))
            stream += 2
        }
        // The peer may not have seen the limit yet: each stream beyond it gets REFUSED_STREAM (safe
        // to retry), and the connection stays up for the ten it serves.
        #expect(server.delegate.accepted == 10)
        #expect(server.resets == [21: 0x7, 23: 0x7, 25: 0x7, 27: 0x7, 29: 0x7])
        #expect(server.goAwayCode == nil)
        #expect(server.channel.isActive)
    }
}
