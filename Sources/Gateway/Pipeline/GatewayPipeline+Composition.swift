import JSON
import NIOCore
import RPC
import Transcoding
import Upstream

/// One request's composition: the route's own call and the calls that enrich it, joined on the
/// loop. Only routes with a configured composition make one.
final class CompositionJoin {
    var main: UpstreamResult?
    /// The JSON of each single composition's answer; nil once it failed or ran out of time.
    var parts: [[UInt8]?]
    var pending: Int
    var handles: [UpstreamCallHandle] = []
    var failed: [String] = []

    init(singles: Int) {
        self.parts = Array(repeating: nil, count: singles)
        self.pending = singles
    }
}

extension GatewayPipeline {
    /// The route's call and its single compositions in parallel; for-each compositions after the
    /// route's answer, with what it lists. An enrichment that fails or runs past its own budget
    /// leaves its member `null` and adds a `Warning`; the route's own failure is the answer.
    func callComposed(
        _ exchange: Exchange, binding: GatewayState.Binding, state: GatewayState, pool: LoopPool,
        request framed: ByteBuffer, metadata: Metadata, deadline: NIODeadline
    ) {
        let singles = binding.compositions.filter { if case .single = $0.mode { true } else { false } }
        let join = CompositionJoin(singles: singles.count)
        join.handles.append(
            pool.unary(binding.method, framedRequest: framed, metadata: metadata, deadline: deadline) { result in
                join.main = result
                self.finishComposition(exchange, join: join, binding: binding, state: state, metadata: metadata)
            })
        for (index, composition) in singles.enumerated() {
            guard case .single(let field, let variable) = composition.mode,
                let composedPool = self.pool(composition.cluster)
            else { continue }
            var json: [UInt8] = Array("{\"".utf8)
            json += Array(field.utf8)
            json += Array("\":".utf8)
            Self.appendJSONString(exchange.variables[variable], to: &json)
            json.append(UInt8(ascii: "}"))
            self.startComposedCall(
                composition, json: json, state: state, pool: composedPool, metadata: metadata, deadline: deadline,
                join: join
            ) { answer in
                join.parts[index] = answer
                if answer == nil { join.failed.append(composition.attachAs) }
                join.pending -= 1
                self.finishComposition(exchange, join: join, binding: binding, state: state, metadata: metadata)
            }
        }
        exchange.onCancel = { for handle in join.handles { handle.cancel() } }
    }

    /// Sends one enrichment call; `completion` gets its answer as JSON, or nil.
    private func startComposedCall(
        _ composition: CompiledComposition, json: [UInt8], state: GatewayState, pool: LoopPool, metadata: Metadata,
        deadline: NIODeadline, join: CompositionJoin, completion: @escaping ([UInt8]?) -> Void
    ) {
        var message = RequestMessage(capacity: json.count)
        do {
            let wire = try state.transcoder.jsonToWire(json, messageIndex: composition.inputIndex)
            message.buffer.writeBytes(wire)
        } catch {
            completion(nil)
            return
        }
        let own = self.eventLoop.now + TimeAmount(composition.timeout)
        join.handles.append(
            pool.unary(
                composition.method, framedRequest: message.framed(), metadata: metadata, deadline: min(deadline, own)
            ) {
                result in
                guard case .success(let response) = result else {
                    completion(nil)
                    return
                }
                let answer = try? response.message.withUnsafeReadableBytes { wire in
                    var output: [UInt8] = []
                    try state.transcoder.wireToJSON(wire, messageIndex: composition.outputIndex, into: &output)
                    return output
                }
                completion(answer)
            })
    }

    private func finishComposition(
        _ exchange: Exchange, join: CompositionJoin, binding: GatewayState.Binding, state: GatewayState,
        metadata: Metadata
    ) {
        guard !exchange.isFinished, let main = join.main else { return }
        guard case .success(let response) = main else {
            for handle in join.handles { handle.cancel() }
            self.answer(exchange, binding: binding, transcoder: state.transcoder, result: main)
            return
        }
        guard join.pending == 0 else { return }
        var json: [UInt8] = []
        let encoded = response.message.withUnsafeReadableBytes { wire in
            Result { () throws(TranscodingError) in
                try state.transcoder.responseToJSON(route: binding.route, wire: wire, into: &json)
            }
        }
        guard case .success = encoded else {
            self.answer(exchange, binding: binding, transcoder: state.transcoder, result: main)
            return
        }
        var singleIndex = 0
        for composition in binding.compositions {
            guard case .single = composition.mode else { continue }
            Self.attach(composition.attachAs, value: join.parts[singleIndex], to: &json)
            singleIndex += 1
        }
        let forEach = binding.compositions.filter { if case .forEach = $0.mode { true } else { false } }
        self.runForEach(
            forEach[...], json: json, exchange: exchange, join: join, binding: binding, state: state, metadata: metadata
        )
    }

    /// The for-each compositions, one after the other, then the answer.
    private func runForEach(
        _ remaining: ArraySlice<CompiledComposition>, json: [UInt8], exchange: Exchange, join: CompositionJoin,
        binding: GatewayState.Binding, state: GatewayState, metadata: Metadata
    ) {
        guard let composition = remaining.first else {
            self.respondComposed(exchange, json: json, status: binding.policy.status ?? 200, failed: join.failed)
            return
        }
        guard case .forEach(let array, let key, let field, let resultMap) = composition.mode,
            let pool = self.pool(composition.cluster),
            let targets = JSONSplice.elements(of: array, keyedBy: key, in: json), !targets.isEmpty
        else {
            self.runForEach(
                remaining.dropFirst(), json: json, exchange: exchange, join: join, binding: binding, state: state,
                metadata: metadata)
            return
        }
        var request: [UInt8] = Array("{\"".utf8) + Array(field.utf8) + Array("\":[".utf8)
        for (index, target) in targets.enumerated() {
            if index > 0 { request.append(UInt8(ascii: ",")) }
            Self.appendJSONString(target.key, to: &request)
        }
        request += Array("]}".utf8)
        let deadline = exchange.request.receivedAt + TimeAmount(binding.policy.timeout ?? .seconds(5))
        self.startComposedCall(
            composition, json: request, state: state, pool: pool, metadata: metadata, deadline: deadline, join: join
        ) { answer in
            guard !exchange.isFinished else { return }
            let values = answer.flatMap { JSONSplice.mapMembers(resultMap, in: $0) }
            if values == nil { join.failed.append(composition.attachAs) }
            let spliced = JSONSplice.insert(composition.attachAs, into: json, at: targets) { key in
                guard let values else { return nil }
                return values[key].map { Array(answer![$0]) } ?? Array("null".utf8)
            }
            self.runForEach(
                remaining.dropFirst(), json: spliced, exchange: exchange, join: join, binding: binding, state: state,
                metadata: metadata)
        }
    }

    private func respondComposed(_ exchange: Exchange, json: [UInt8], status: Int, failed: [String]) {
        var body = ByteBuffer()
        body.writeBytes(json)
        var response = GatewayResponse.json(status, body)
        if !failed.isEmpty {
            response.headers.append(
                ("warning", "199 halo-gateway \"\(failed.joined(separator: ", ")) unavailable; shown as null\""))
        }
        self.respond(exchange, response)
    }

    /// Adds `"name": value` (or `null`) as the last member of the top-level object `json`.
    static func attach(_ name: String, value: [UInt8]?, to json: inout [UInt8]) {
        guard json.last == UInt8(ascii: "}") else { return }
        json.removeLast()
        if json.count > 1 { json.append(UInt8(ascii: ",")) }
        Self.appendJSONString(name, to: &json)
        json.append(UInt8(ascii: ":"))
        json += value ?? Array("null".utf8)
        json.append(UInt8(ascii: "}"))
    }

    static func appendJSONString(_ value: String, to json: inout [UInt8]) {
        var buffer = ByteBuffer()
        JSONText.writeString(value, to: &buffer)
        json += buffer.readableBytesView
    }
}

/// Finding and extending members of JSON the transcoder wrote, without building a tree.
enum JSONSplice {
    /// For each element object of the top-level member `array`: its `key` member's string value
    /// and the offset of its closing brace. Nil when the JSON does not have that shape.
    static func elements(of array: String, keyedBy key: String, in json: [UInt8]) -> [(key: String, close: Int)]? {
        json.withUnsafeBytes { bytes -> [(key: String, close: Int)]? in
            var reader = JSONReader(bytes: bytes)
            guard (try? reader.next())?.kind == .objectStart else { return nil }
            while let token = try? reader.next(), token.kind == .name {
                let isArray = JSONSplice.equals(bytes, token, array)
                guard let value = try? reader.next() else { return nil }
                guard isArray, value.kind == .arrayStart else {
                    guard (try? reader.skipValue(startingWith: value)) != nil else { return nil }
                    continue
                }
                var found: [(key: String, close: Int)] = []
                while let element = try? reader.next(), element.kind == .objectStart {
                    var keyValue: String?
                    while let member = try? reader.next(), member.kind == .name {
                        let isKey = JSONSplice.equals(bytes, member, key)
                        guard let memberValue = try? reader.next() else { return nil }
                        if isKey, memberValue.kind == .string {
                            keyValue = reader.string(memberValue)
                        } else if (try? reader.skipValue(startingWith: memberValue)) == nil {
                            return nil
                        }
                    }
                    // The reader stopped on the element's closing brace.
                    guard let keyValue else { return nil }
                    found.append((keyValue, reader.position - 1))
                }
                return found
            }
            return []
        }
    }

    /// The byte ranges of each member value of the top-level member `name`'s object.
    static func mapMembers(_ name: String, in json: [UInt8]) -> [String: Range<Int>]? {
        json.withUnsafeBytes { bytes -> [String: Range<Int>]? in
            var reader = JSONReader(bytes: bytes)
            guard (try? reader.next())?.kind == .objectStart else { return nil }
            while let token = try? reader.next(), token.kind == .name {
                let isMap = JSONSplice.equals(bytes, token, name)
                guard let value = try? reader.next() else { return nil }
                guard isMap, value.kind == .objectStart else {
                    guard (try? reader.skipValue(startingWith: value)) != nil else { return nil }
                    continue
                }
                var members: [String: Range<Int>] = [:]
                while let member = try? reader.next(), member.kind == .name {
                    let memberName = reader.string(member)
                    guard let start = try? reader.next() else { return nil }
                    guard (try? reader.skipValue(startingWith: start)) != nil else { return nil }
                    switch start.kind {
                    case .string: members[memberName] = (start.start - 1)..<(start.end + 1)
                    case .objectStart, .arrayStart: members[memberName] = start.start..<reader.position
                    default: members[memberName] = start.start..<start.end
                    }
                }
                return members
            }
            return [:]
        }
    }

    /// Whether a name token (without escapes) is `text`.
    static func equals(_ bytes: UnsafeRawBufferPointer, _ token: JSONToken, _ text: String) -> Bool {
        !token.hasEscapes && bytes[token.start..<token.end].elementsEqual(text.utf8)
    }

    /// `json` with `,"name":value` inserted before each target's closing brace.
    static func insert(
        _ name: String, into json: [UInt8], at targets: [(key: String, close: Int)], value: (String) -> [UInt8]?
    ) -> [UInt8] {
        var member: [UInt8] = []
        GatewayPipeline.appendJSONString(name, to: &member)
        var output: [UInt8] = []
        output.reserveCapacity(json.count + targets.count * 96)
        var copied = 0
        for target in targets {
            output += json[copied..<target.close]
            if json[target.close - 1] != UInt8(ascii: "{") { output.append(UInt8(ascii: ",")) }
            output += member
            output.append(UInt8(ascii: ":"))
            output += value(target.key) ?? Array("null".utf8)
            copied = target.close
        }
        output += json[copied...]
        return output
    }
}
