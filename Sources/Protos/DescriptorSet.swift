import Foundation
import SwiftProtobuf

/// The bundled descriptor set of Halo's product protos (`halo.protoset`, written by `scripts/gen-protos`).
public enum HaloDescriptors {
    /// The descriptor set's bytes as committed (the gateway decodes them itself).
    public static func serialized() throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "halo", withExtension: "protoset") else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "halo.protoset"])
        }
        return Array(try Data(contentsOf: url))
    }

    /// Reads and decodes the descriptor set, with `google.api.http` method options decoded as extensions.
    public static func load() throws -> Google_Protobuf_FileDescriptorSet {
        guard let url = Bundle.module.url(forResource: "halo", withExtension: "protoset") else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "halo.protoset"])
        }
        return try Google_Protobuf_FileDescriptorSet(
            serializedBytes: Data(contentsOf: url),
            extensions: Google_Api_Annotations_Extensions
        )
    }
}
