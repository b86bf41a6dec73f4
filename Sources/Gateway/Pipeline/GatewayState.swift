import Foundation
package import RPC
import SwiftProtobuf
package import Transcoding

/// Everything a request needs that only changes on reload: the configuration, the route table
/// and transcoder built from the descriptor set, and each route's gRPC method, cluster and
/// policy. Built off the loop (a pure function of the configuration and the descriptors) and
/// swapped per loop as a whole, so a request sees one consistent version.
///
/// A class, like `Binding`: a request reads both several times, and a reference costs one
/// retain where a copy of the struct retained every string and array in it.
package final class GatewayState: Sendable {
    /// One REST route bound to its upstream.
    package final class Binding: Sendable {
        package let route: Route
        package let method: MethodDescriptor
        package let cluster: String
        package let policy: GatewayConfiguration.RoutePolicy
        /// The full method name, `package.Service.Method` (policy keys, logs, metrics).
        package let name: String
        /// Calls that enrich this route's answer (configured composition).
        package let compositions: [CompiledComposition]

        init(
            route: Route, method: MethodDescriptor, cluster: String, policy: GatewayConfiguration.RoutePolicy,
            name: String, compositions: [CompiledComposition]
        ) {
            self.route = route
            self.method = method
            self.cluster = cluster
            self.policy = policy
            self.name = name
            self.compositions = compositions
        }
    }

    package let configuration: GatewayConfiguration
    package let routes: RouteTable
    package let transcoder: Transcoder
    /// By `Route.declarationOrder`.
    package let bindings: [Binding]
    /// The JWKS method and its cluster, if the descriptors and services have it.
    package let jwks: (method: MethodDescriptor, cluster: String, outputIndex: Int)?
    /// `GET /openapi.json`: OpenAPI 3.1 of these routes, with this configuration's auth policy and
    /// JSON presentation, made once per state.
    package let openAPI: [UInt8]

    /// Builds the state; a descriptor set or configuration that cannot serve fails naming the
    /// file, method or key.
    package init(configuration: GatewayConfiguration, descriptorSet: [UInt8]) throws(ConfigurationError) {
        let registry: DescriptorRegistry
        let routes: RouteTable
        do {
            registry = try DescriptorRegistry(serializedDescriptorSet: descriptorSet)
            routes = try RouteTable(registry: registry, maximumPathLength: configuration.limits.maxTargetLength)
        } catch {
            throw ConfigurationError(key: "descriptor_set", "\(error)")
        }
        var options = TranscodingOptions.strict
        options.outputFieldNames = configuration.json.fieldNames == "proto" ? .proto : .json
        options.emitDefaultValues = configuration.json.emitDefaults
        options.int64AsNumberWhenSafe = configuration.json.int64AsNumber
        options.outputEnumNames = configuration.json.enumNames == "short" ? .shortLowercase : .proto
        options.acceptShortEnumNames = true
        self.transcoder = Transcoder(registry: registry, options: options)
        self.configuration = configuration
        self.routes = routes

        let idempotency = Self.idempotentMethods(registry)
        var bindings: [(route: Route, method: MethodDescriptor, cluster: String, name: String)] = []
        for route in routes.routes.sorted(by: { $0.declarationOrder < $1.declarationOrder }) {
            let name = "\(route.service).\(route.method)"
            guard let cluster = configuration.services[route.service] else {
                throw ConfigurationError(
                    key: "services", "no cluster serves \(route.service), which route \(route.summary) needs")
            }
            let method = MethodDescriptor(
                service: route.service, method: route.method, kind: route.serverStreaming ? .serverStreaming : .unary,
                isIdempotent: configuration.policy(for: name).idempotent ?? idempotency.contains(name))
            bindings.append((route, method, cluster, name))
        }
        for key in configuration.routes.keys where !bindings.contains(where: { $0.name == key }) {
            throw ConfigurationError(key: "routes.\(key)", "no REST route reaches this method")
        }
        var compositions = [[CompiledComposition]](repeating: [], count: bindings.count)
        for (index, composition) in configuration.composition.enumerated() {
            let targets = bindings.indices.filter { bindings[$0].name == composition.route }
            guard !targets.isEmpty else {
                throw ConfigurationError(
                    key: "composition[\(index)].route", "no REST route reaches \(composition.route)")
            }
            for target in targets {
                compositions[target].append(
                    try CompiledComposition.compile(
                        composition, index: index, route: bindings[target].route, configuration: configuration,
                        registry: registry))
            }
        }
        self.bindings = bindings.indices.map { index in
            let draft = bindings[index]
            return Binding(
                route: draft.route, method: draft.method, cluster: draft.cluster,
                policy: configuration.policy(for: draft.name), name: draft.name, compositions: compositions[index])
        }

        var generator = OpenAPIGenerator(registry: registry, routes: routes, options: options)
        let policies = Dictionary(self.bindings.map { ($0.route.declarationOrder, $0.policy.auth ?? .optional) }) {
            a, _ in a
        }
        generator.authentication = { route in
            switch policies[route.declarationOrder] ?? .optional {
            case .required: .required
            case .optional: .optional
            case .none: .none
            }
        }
        self.openAPI = generator.document().serialized()

        let jwksName = configuration.authentication.jwksMethod
        if let dot = jwksName.lastIndex(of: "."), let cluster = configuration.services[String(jwksName[..<dot])],
            let output = Self.outputIndex(ofMethod: jwksName, in: registry)
        {
            self.jwks = (
                MethodDescriptor(
                    service: String(jwksName[..<dot]), method: String(jwksName[jwksName.index(after: dot)...]),
                    isIdempotent: true),
                cluster, output
            )
        } else {
            self.jwks = nil
        }
    }

    /// The binding of a matched route.
    package func binding(for route: Route) -> Binding {
        self.bindings[route.declarationOrder]
    }

    /// The response message of `package.Service.Method`, if the descriptors declare it.
    static func outputIndex(ofMethod name: String, in registry: DescriptorRegistry) -> Int? {
        for file in registry.files {
            for service in file.service {
                let serviceName = file.package.isEmpty ? service.name : "\(file.package).\(service.name)"
                for method in service.method where "\(serviceName).\(method.name)" == name {
                    return registry.messageIndex(named: String(method.outputType.drop { $0 == "." }))
                }
            }
        }
        return nil
    }

    /// Methods whose proto says IDEMPOTENT or NO_SIDE_EFFECTS: the only ones retried after they
    /// may have reached a backend.
    static func idempotentMethods(_ registry: DescriptorRegistry) -> Set<String> {
        var names = Set<String>()
        for file in registry.files {
            for service in file.service {
                let serviceName = file.package.isEmpty ? service.name : "\(file.package).\(service.name)"
                for method in service.method
                where method.options.idempotencyLevel == .idempotent
                    || method.options.idempotencyLevel == .noSideEffects
                {
                    names.insert("\(serviceName).\(method.name)")
                }
            }
        }
        return names
    }
}
