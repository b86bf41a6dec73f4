import Protos
import SwiftProtobuf

/// A method found in the descriptor set, with the service that declares it.
struct MethodEntry {
    var service: String
    var method: Google_Protobuf_MethodDescriptorProto
}

/// One REST route: verb, path template, body selector and the method it reaches.
struct Route: Hashable, CustomStringConvertible {
    var verb: String
    var path: String
    var body: String
    var method: String

    var description: String { "\(verb) \(path) body=\"\(body)\" -> \(method)" }
}

extension Google_Protobuf_FileDescriptorSet {
    /// Every method of every service, keyed by "package.Service/Method".
    var methodsByName: [String: MethodEntry] {
        var methods: [String: MethodEntry] = [:]
        for file in self.file {
            for service in file.service {
                let serviceName = "\(file.package).\(service.name)"
                for method in service.method {
                    methods["\(serviceName)/\(method.name)"] = MethodEntry(service: serviceName, method: method)
                }
            }
        }
        return methods
    }

    /// Every REST route that the `google.api.http` annotations declare, additional bindings included.
    var routes: Set<Route> {
        var routes: Set<Route> = []
        for (name, entry) in self.methodsByName where entry.method.options.hasGoogle_Api_http {
            let rule = entry.method.options.Google_Api_http
            for binding in [rule] + rule.additionalBindings {
                routes.insert(Route(verb: binding.verb, path: binding.path, body: binding.body, method: name))
            }
        }
        return routes
    }
}

extension Google_Api_HttpRule {
    /// The HTTP verb of the rule's pattern ("" when none is set).
    var verb: String {
        switch self.pattern {
        case .get: "GET"
        case .put: "PUT"
        case .post: "POST"
        case .delete: "DELETE"
        case .patch: "PATCH"
        case .custom(let custom): custom.kind
        case nil: ""
        }
    }

    /// The path template of the rule's pattern ("" when none is set).
    var path: String {
        switch self.pattern {
        case .get(let path), .put(let path), .post(let path), .delete(let path), .patch(let path): path
        case .custom(let custom): custom.path
        case nil: ""
        }
    }
}
