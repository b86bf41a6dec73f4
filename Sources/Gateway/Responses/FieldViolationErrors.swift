import JSON
package import NIOCore
import Protos
import RPC
import SwiftProtobuf
package import Transcoding

/// A backend's field violations as the problem body's `errors`: the services send them as a
/// `google.rpc.BadRequest` inside a `google.rpc.Status` in the `grpc-status-details-bin` trailer,
/// naming fields by their proto path (`title`, `video.title`, `tags[3]`); the client needs to know
/// where in what it sent.
///
/// A field inside the HTTP body becomes a JSON pointer relative to that body (`/tags/3`), each
/// name spelled as the client spelled it (`/displayName` when it sent the lowerCamel name; the
/// output form when the field was not sent at all). A field bound by the path or the query is
/// not in the body: it is named as a `parameter` instead (`video_id`, `page.size`).
///
/// This runs only on an INVALID_ARGUMENT answer; it reads the request body once more with the
/// codebase's one JSON reader and allocates freely.
package enum FieldViolationErrors {
    /// The trailer gRPC's rich error model puts a serialized `google.rpc.Status` in.
    static let metadataKey = "grpc-status-details-bin"

    /// At most this many violations are rendered (a backend's list is not trusted to be short).
    package static let maximumCount = 50

    /// The `errors` for `details` (the trailer's bytes); empty when they are not a Status with a
    /// BadRequest.
    package static func errors(
        details: [UInt8], route: Route, transcoder: Transcoder, body: ByteBuffer
    ) -> [Problem.FieldError] {
        guard let status = try? Google_Rpc_Status(serializedBytes: details) else { return [] }
        var errors: [Problem.FieldError] = []
        for detail in status.details where detail.isA(Google_Rpc_BadRequest.self) {
            guard let badRequest = try? Google_Rpc_BadRequest(unpackingAny: detail) else { continue }
            for violation in badRequest.fieldViolations.prefix(Self.maximumCount - errors.count) {
                errors.append(
                    Self.error(for: violation, route: route, transcoder: transcoder, body: body))
            }
        }
        return errors
    }

    static func error(
        for violation: Google_Rpc_BadRequest.FieldViolation, route: Route, transcoder: Transcoder, body: ByteBuffer
    ) -> Problem.FieldError {
        let path = FieldPath(violation.field)
        let registry = transcoder.registry
        let input = registry.messages[route.inputIndex]
        guard let first = path.names.first, let fieldIndex = Self.index(of: first.name, in: input) else {
            return Problem.FieldError(parameter: violation.field, detail: violation.description_p)
        }
        // Where the body starts in the request message: the whole message, or one of its fields.
        let bodyPath: ArraySlice<FieldPath.Segment>
        let bodyMessage: MessageSchema
        switch route.body {
        case .whole where !route.variableFields.contains(where: { $0.first == fieldIndex }):
            bodyPath = path.names[...]
            bodyMessage = input
        case .field(let index) where index == fieldIndex && path.names.count > 1:
            bodyPath = path.names.dropFirst()
            let field = input.fields[index]
            guard field.messageIndex >= 0 else {
                return Problem.FieldError(pointer: "", detail: violation.description_p)
            }
            bodyMessage = registry.messages[field.messageIndex]
        case .field(let index) where index == fieldIndex:
            return Problem.FieldError(pointer: "", detail: violation.description_p)
        default:
            return Problem.FieldError(parameter: violation.field, detail: violation.description_p)
        }
        let pointer = body.withUnsafeReadableBytes { bytes in
            Self.pointer(
                for: bodyPath, in: bodyMessage, registry: registry, body: bytes,
                outputNames: transcoder.options.outputFieldNames)
        }
        return Problem.FieldError(pointer: pointer, detail: violation.description_p)
    }

    /// The JSON pointer of `path` inside `body`, whose value is a `message`.
    static func pointer(
        for path: ArraySlice<FieldPath.Segment>, in message: MessageSchema, registry: DescriptorRegistry,
        body: UnsafeRawBufferPointer, outputNames: TranscodingOptions.FieldNames
    ) -> String {
        var pointer = ""
        var message: MessageSchema? = message
        var reader: JSONReader? = body.isEmpty ? nil : JSONReader(bytes: body)
        if reader != nil, (try? reader!.next())?.kind != .objectStart { reader = nil }
        for segment in path {
            let field = message.flatMap { schema in Self.index(of: segment.name, in: schema).map { schema.fields[$0] } }
            var spelling = field.map { outputNames == .proto ? $0.protoName : $0.jsonName } ?? segment.name
            if let field, reader != nil, let sent = Self.enterMember(field, reader: &reader!) {
                spelling = sent
            } else {
                reader = nil
            }
            pointer += "/" + Self.escaped(spelling)
            for index in segment.indexes {
                pointer += "/" + Self.escaped(index)
                if reader != nil, !Self.enterElement(index, reader: &reader!) { reader = nil }
            }
            message = field.flatMap { $0.messageIndex >= 0 ? registry.messages[$0.messageIndex] : nil }
            if reader != nil, (try? reader!.next())?.kind != .objectStart { reader = nil }
        }
        return pointer
    }

    /// Reads the members of the object just opened until `field`'s (by either name): the reader
    /// is left before its value; returns the name as sent, or nil when it is not there.
    private static func enterMember(_ field: FieldSchema, reader: inout JSONReader) -> String? {
        while let token = try? reader.next(), token.kind == .name {
            let name = reader.string(token)
            if name == field.protoName || name == field.jsonName { return name }
            guard let value = try? reader.next(), (try? reader.skipValue(startingWith: value)) != nil else {
                return nil
            }
        }
        return nil
    }

    /// Steps into element `index` (a decimal string) of the array that is the next value, or into
    /// the member `index` of an object (a map): the reader is left before its value.
    private static func enterElement(_ index: String, reader: inout JSONReader) -> Bool {
        guard let open = try? reader.next() else { return false }
        switch open.kind {
        case .arrayStart:
            guard let wanted = Int(index) else { return false }
            for _ in 0..<wanted {
                guard let value = try? reader.next(), value.kind != .arrayEnd,
                    (try? reader.skipValue(startingWith: value)) != nil
                else { return false }
            }
            return true
        case .objectStart:
            while let token = try? reader.next(), token.kind == .name {
                if reader.string(token) == index { return true }
                guard let value = try? reader.next(), (try? reader.skipValue(startingWith: value)) != nil else {
                    return false
                }
            }
            return false
        default:
            return false
        }
    }

    private static func index(of name: String, in message: MessageSchema) -> Int? {
        message.fields.firstIndex { $0.protoName == name || $0.jsonName == name }
    }

    /// RFC 6901: `~` is `~0` and `/` is `~1` inside a reference token.
    private static func escaped(_ token: String) -> String {
        guard token.contains(where: { $0 == "~" || $0 == "/" }) else { return token }
        return token.replacing("~", with: "~0").replacing("/", with: "~1")
    }
}

/// A `BadRequest.FieldViolation.field` path: names joined by `.`, each optionally followed by
/// `[index]` (a repeated field's position or a map's key).
struct FieldPath: Equatable {
    struct Segment: Equatable {
        var name: String
        var indexes: [String]
    }

    var names: [Segment]

    init(_ text: String) {
        self.names = []
        var name = ""
        var indexes: [String] = []
        var bracket: String?
        for character in text {
            if var open = bracket {
                if character == "]" {
                    indexes.append(open)
                    bracket = nil
                } else {
                    open.append(character)
                    bracket = open
                }
            } else if character == "[" {
                bracket = ""
            } else if character == "." {
                self.names.append(Segment(name: name, indexes: indexes))
                name = ""
                indexes = []
            } else {
                name.append(character)
            }
        }
        self.names.append(Segment(name: name, indexes: indexes))
    }
}
