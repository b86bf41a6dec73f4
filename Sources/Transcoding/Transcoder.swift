import JSON

/// JSON <-> protobuf wire transcoding for the message types of one descriptor set, with one set of
/// presentation options.
///
/// Synchronous and bytes in, bytes out, for the gateway's event loop: input is borrowed
/// (`UnsafeRawBufferPointer`, so a `ByteBuffer`'s readable bytes or an array serve without a copy) and output is
/// appended to a caller-owned `[UInt8]`, which the caller clears and reuses (keeping its capacity) so that a
/// steady stream of requests allocates no output storage (the encoders write through a `ByteWriter` into the
/// array's reserved capacity). The module needs no NIO. Errors carry a JSON pointer and a message for a 400
/// problem body; on error the output is left as it was.
package struct Transcoder: Sendable {
    package let registry: DescriptorRegistry
    package let options: TranscodingOptions

    package init(registry: DescriptorRegistry, options: TranscodingOptions = .strict) {
        self.registry = registry
        self.options = options
    }

    /// Appends to `output` the wire encoding of the JSON document `json`, read as message `messageIndex`.
    package func jsonToWire(
        _ json: UnsafeRawBufferPointer, messageIndex: Int, into output: inout [UInt8]
    )
        throws(TranscodingError)
    {
        try ByteWriter.writing(into: &output, reserving: json.count + 32) { writer throws(TranscodingError) in
            var encoder = JSONToWire(registry: registry, options: options, json: json, output: writer)
            defer { writer = encoder.output }
            try encoder.encodeDocument(messageIndex: messageIndex)
        }
    }

    /// Appends to `output` the JSON of the wire-encoded message `wire` of type `messageIndex`.
    package func wireToJSON(
        _ wire: UnsafeRawBufferPointer, messageIndex: Int, into output: inout [UInt8]
    )
        throws(TranscodingError)
    {
        try ByteWriter.writing(into: &output, reserving: wire.count * 2 + 64) { writer throws(TranscodingError) in
            var encoder = WireToJSON(registry: registry, options: options, wire: wire, output: writer)
            defer { writer = encoder.output }
            try encoder.writeMessage(messageIndex, .one(0..<wire.count))
        }
    }

    /// `jsonToWire` for an array of bytes, returning a new array.
    package func jsonToWire(_ json: [UInt8], messageIndex: Int) throws(TranscodingError) -> [UInt8] {
        var output: [UInt8] = []
        let outcome = json.withUnsafeBytes { json in
            Result { () throws(TranscodingError) in try jsonToWire(json, messageIndex: messageIndex, into: &output) }
        }
        try outcome.get()
        return output
    }

    /// `wireToJSON` for an array of bytes, returning a new array.
    package func wireToJSON(_ wire: [UInt8], messageIndex: Int) throws(TranscodingError) -> [UInt8] {
        var output: [UInt8] = []
        let outcome = wire.withUnsafeBytes { wire in
            Result { () throws(TranscodingError) in try wireToJSON(wire, messageIndex: messageIndex, into: &output) }
        }
        try outcome.get()
        return output
    }
}
