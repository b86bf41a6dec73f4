package import SwiftProtobuf

/// Every message and enum type of a FileDescriptorSet, indexed for the transcoder.
///
/// Built from descriptors alone: nothing here knows a message by its Swift type, so the gateway can front any
/// gRPC service from its descriptor set. Building is a pure function of the set, so a reload builds a new
/// registry beside the old one and swaps it. A class, so that every transcoding shares it with one reference
/// count instead of copying its tables.
package final class DescriptorRegistry: Sendable {
    package let messages: [MessageSchema]
    package let enums: [EnumSchema]
    package let files: [Google_Protobuf_FileDescriptorProto]
    private let messageByName: [String: Int]
    private let enumByName: [String: Int]

    /// Reads a serialized FileDescriptorSet (`protoc --descriptor_set_out --include_imports`).
    package convenience init(serializedDescriptorSet bytes: [UInt8]) throws(DescriptorError) {
        let set: Google_Protobuf_FileDescriptorSet
        do {
            set = try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
        } catch {
            throw DescriptorError("the descriptor set is not a valid FileDescriptorSet: \(error)")
        }
        try self.init(descriptorSet: set)
    }

    package init(descriptorSet: Google_Protobuf_FileDescriptorSet) throws(DescriptorError) {
        files = descriptorSet.file
        // First pass: every type's full name gets an index, so fields can refer to types declared later.
        var messageNames: [String: Int] = [:]
        var enumNames: [String: Int] = [:]
        var messageDescriptors:
            [(file: Google_Protobuf_FileDescriptorProto, name: String, Google_Protobuf_DescriptorProto)] =
                []
        var enumDescriptors: [(name: String, Google_Protobuf_EnumDescriptorProto)] = []
        func collect(
            _ message: Google_Protobuf_DescriptorProto, scope: String, file: Google_Protobuf_FileDescriptorProto
        )
            throws(DescriptorError)
        {
            let name = scope.isEmpty ? message.name : "\(scope).\(message.name)"
            guard messageNames[name] == nil else {
                throw DescriptorError("\(file.name): message \(name) is defined twice")
            }
            messageNames[name] = messageDescriptors.count
            messageDescriptors.append((file, name, message))
            for nested in message.nestedType { try collect(nested, scope: name, file: file) }
            for nested in message.enumType {
                enumNames["\(name).\(nested.name)"] = enumDescriptors.count
                enumDescriptors.append(("\(name).\(nested.name)", nested))
            }
        }
        for file in descriptorSet.file {
            for message in file.messageType { try collect(message, scope: file.package, file: file) }
            for enumType in file.enumType {
                let name = file.package.isEmpty ? enumType.name : "\(file.package).\(enumType.name)"
                enumNames[name] = enumDescriptors.count
                enumDescriptors.append((name, enumType))
            }
        }
        // Second pass: fields with their types resolved.
        var messages: [MessageSchema] = []
        messages.reserveCapacity(messageDescriptors.count)
        for (file, name, message) in messageDescriptors {
            let isProto3 = file.syntax == "proto3"
            var fields: [FieldSchema] = []
            var realOneofs: [Int: Int] = [:]
            var oneofNames: [String] = []
            for (index, oneof) in message.oneofDecl.enumerated() {
                let synthetic = message.field.contains {
                    $0.hasOneofIndex && $0.oneofIndex == index && $0.proto3Optional
                }
                if !synthetic {
                    realOneofs[index] = oneofNames.count
                    oneofNames.append(oneof.name)
                }
            }
            for field in message.field {
                guard let kind = FieldSchema.Kind(rawValue: UInt8(truncatingIfNeeded: field.type.rawValue)) else {
                    throw DescriptorError("\(file.name): \(name).\(field.name) has an unknown type")
                }
                guard field.number > 0, field.number < 1 << 29 else {
                    throw DescriptorError("\(file.name): \(name).\(field.name) has an invalid number")
                }
                var messageIndex = -1
                var enumIndex = -1
                let typeName = field.typeName.hasPrefix(".") ? String(field.typeName.dropFirst()) : field.typeName
                switch kind {
                case .message, .group:
                    guard let index = messageNames[typeName] else {
                        throw DescriptorError(
                            "\(file.name): \(name).\(field.name) refers to unknown message \(typeName)")
                    }
                    messageIndex = index
                case .enum:
                    guard let index = enumNames[typeName] else {
                        throw DescriptorError("\(file.name): \(name).\(field.name) refers to unknown enum \(typeName)")
                    }
                    enumIndex = index
                default: break
                }
                let oneofIndex = field.hasOneofIndex ? realOneofs[Int(field.oneofIndex)] ?? -1 : -1
                let cardinality: FieldSchema.Cardinality
                if field.label == .repeated {
                    let entry = messageIndex >= 0 ? messageDescriptors[messageIndex].2 : nil
                    cardinality = entry?.options.mapEntry == true ? .map : .repeated
                } else if kind == .message || kind == .group || oneofIndex >= 0 || field.proto3Optional || !isProto3 {
                    cardinality = .explicit
                } else {
                    cardinality = .implicit
                }
                let packed =
                    cardinality == .repeated && kind.isPackable
                    && (field.options.hasPacked ? field.options.packed : isProto3)
                fields.append(
                    FieldSchema(
                        number: UInt32(field.number), protoName: field.name,
                        jsonName: field.hasJsonName ? field.jsonName : Self.lowerCamel(field.name), kind: kind,
                        cardinality: cardinality, messageIndex: messageIndex, enumIndex: enumIndex,
                        oneofIndex: oneofIndex, isPacked: packed,
                        messageWellKnown: kind == .message ? MessageSchema.WellKnown(fullName: typeName) : nil))
            }
            messages.append(
                MessageSchema(
                    fullName: name, fields: fields, oneofNames: oneofNames, isMapEntry: message.options.mapEntry))
        }
        self.messages = messages
        self.enums = enumDescriptors.map { name, descriptor in
            EnumSchema(fullName: name, values: descriptor.value.map { ($0.name, $0.number) })
        }
        self.messageByName = messageNames
        self.enumByName = enumNames
    }

    /// The index of the message called `fullName` (`halo.video.v1.Video`, no leading dot).
    package func messageIndex(named fullName: String) -> Int? {
        messageByName[fullName.hasPrefix(".") ? String(fullName.dropFirst()) : fullName]
    }

    /// The index of the enum called `fullName`.
    package func enumIndex(named fullName: String) -> Int? {
        enumByName[fullName.hasPrefix(".") ? String(fullName.dropFirst()) : fullName]
    }

    /// protoc's default JSON name: underscores removed, the letter after each one upper-cased.
    static func lowerCamel(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else if upperNext {
                result.append(contentsOf: character.uppercased())
                upperNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// A descriptor set that cannot be used; the message names the file and the element.
package struct DescriptorError: Error, Equatable, Sendable, CustomStringConvertible {
    package let message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}
