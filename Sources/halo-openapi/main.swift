// Prints the OpenAPI 3.1 document of a descriptor set's REST routes (Halo's committed set by default), with
// Halo's presentation options. Until the gateway's configuration exists, which routes need a bearer token is
// given on the command line:
//   halo-openapi [--descriptor-set FILE] [--require-auth Service.Method]... [--optional-auth Service.Method]...
import Foundation
import Protos
import Transcoding

var descriptorPath: String?
var required = Set<String>()
var optional = Set<String>()
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    guard let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data("halo-openapi: \(argument) needs a value\n".utf8))
        exit(2)
    }
    switch argument {
    case "--descriptor-set": descriptorPath = value
    case "--require-auth": required.insert(value)
    case "--optional-auth": optional.insert(value)
    default:
        FileHandle.standardError.write(Data("halo-openapi: unknown argument \(argument)\n".utf8))
        exit(2)
    }
}

do {
    let registry =
        if let descriptorPath {
            try DescriptorRegistry(
                serializedDescriptorSet: Array(try Data(contentsOf: URL(fileURLWithPath: descriptorPath))))
        } else {
            try DescriptorRegistry(descriptorSet: HaloDescriptors.load())
        }
    var generator = OpenAPIGenerator(registry: registry, routes: try RouteTable(registry: registry), options: .halo)
    let requiredNames = required
    let optionalNames = optional
    generator.authentication = { route in
        let name = "\(route.service).\(route.method)"
        if requiredNames.contains(name) { return .required }
        return optionalNames.contains(name) ? .optional : .none
    }
    FileHandle.standardOutput.write(Data(generator.document().serialized()))
} catch {
    FileHandle.standardError.write(Data("halo-openapi: \(error)\n".utf8))
    exit(1)
}
