import Foundation
import JSON
import Protos
import SwiftProtobuf
import Testing
import Transcoding

/// Halo's committed descriptor set as a registry, loaded once.
let haloRegistry: DescriptorRegistry = {
    let set = try! HaloDescriptors.load()
    return try! DescriptorRegistry(descriptorSet: set)
}()

func messageIndex(_ registry: DescriptorRegistry, _ name: String) -> Int {
    registry.messageIndex(named: name)!
}

extension Transcoder {
    /// JSON text -> wire bytes for the message called `name`.
    func wire(_ json: String, _ name: String) throws(TranscodingError) -> [UInt8] {
        try jsonToWire(Array(json.utf8), messageIndex: registry.messageIndex(named: name)!)
    }

    /// Wire bytes -> JSON text for the message called `name`.
    func json(_ wire: [UInt8], _ name: String) throws(TranscodingError) -> String {
        String(decoding: try wireToJSON(wire, messageIndex: registry.messageIndex(named: name)!), as: UTF8.self)
    }

    /// The error for JSON text, as `pointer: message`, or nil when it transcodes.
    func refusal(_ json: String, _ name: String) -> String? {
        do {
            _ = try wire(json, name)
            return nil
        } catch {
            return error.description
        }
    }
}

/// A JSON tree for comparing documents regardless of member order and number spelling.
indirect enum JSONTree: Equatable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), array([JSONTree]), object([String: JSONTree])

    init(_ text: String) throws {
        let bytes = Array(text.utf8)
        self = try bytes.withUnsafeBytes { buffer throws -> JSONTree in
            var reader = JSONReader(bytes: buffer, maximumDepth: 128)
            let tree = try JSONTree.read(try reader.next(), &reader)
            _ = try reader.next()
            return tree
        }
    }

    private static func read(_ token: JSONToken, _ reader: inout JSONReader) throws -> JSONTree {
        switch token.kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .string: return .string(reader.string(token))
        case .number:
            return .number(JSONNumber.double(UnsafeRawBufferPointer(rebasing: reader.bytes[token.start..<token.end]))!)
        case .arrayStart:
            var elements: [JSONTree] = []
            while true {
                let next = try reader.next()
                if next.kind == .arrayEnd { return .array(elements) }
                elements.append(try read(next, &reader))
            }
        case .objectStart:
            var members: [String: JSONTree] = [:]
            while true {
                let name = try reader.next()
                if name.kind == .objectEnd { return .object(members) }
                members[reader.string(name)] = try read(try reader.next(), &reader)
            }
        default:
            throw JSONError("unexpected token", at: token.start)
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let elements): "[\(elements.map(\.description).joined(separator: ","))]"
        case .object(let members):
            "{\(members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ","))}"
        }
    }
}

/// The test protos' descriptor set (halo.testing.v1: AllKinds, HttpExamples), read from its committed file.
let testingRegistry: DescriptorRegistry = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/TestProtos/testing.protoset")
    return try! DescriptorRegistry(serializedDescriptorSet: Array(try! Data(contentsOf: url)))
}()
