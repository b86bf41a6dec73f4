package import RPC
import SwiftProtobuf
package import Transcoding

/// A composition from the configuration, checked against the descriptors: which call enriches a
/// route's answer, how its request is made, and where its answer goes.
package struct CompiledComposition: Sendable {
    package enum Mode: Sendable {
        /// One call made beside the route's own, in parallel: its request field `field` takes the
        /// route's path variable at `variable` (an index into the route's variables).
        case single(field: String, variable: Int)
        /// One batch call after the route's answer: its repeated request field `field` takes the
        /// `key` member of every element of the answer's `array` member; the batch answer's map
        /// member `resultMap` is keyed by those values.
        case forEach(array: String, key: String, field: String, resultMap: String)
    }

    package var method: MethodDescriptor
    package var cluster: String
    package var inputIndex: Int
    package var outputIndex: Int
    package var mode: Mode
    package var attachAs: String
    package var timeout: Duration

    /// Compiles `composition` for `route`, or throws naming the key that does not fit.
    static func compile(
        _ composition: GatewayConfiguration.Composition, index: Int, route: Route, configuration: GatewayConfiguration,
        registry: DescriptorRegistry
    ) throws(ConfigurationError) -> CompiledComposition {
        let key = "composition[\(index)]"
        guard let dot = composition.call.lastIndex(of: ".") else {
            throw ConfigurationError(key: "\(key).call", "not a method name (package.Service.Method)")
        }
        let service = String(composition.call[..<dot])
        let methodName = String(composition.call[composition.call.index(after: dot)...])
        guard let cluster = configuration.services[service] else {
            throw ConfigurationError(key: "\(key).call", "no cluster serves \(service)")
        }
        guard let (inputIndex, outputIndex, idempotent) = Self.method(service: service, name: methodName, in: registry)
        else {
            throw ConfigurationError(key: "\(key).call", "the descriptors have no method \(composition.call)")
        }
        let method = MethodDescriptor(
            service: service, method: methodName,
            isIdempotent: configuration.policy(for: composition.call).idempotent ?? idempotent)
        guard composition.request.count == 1, let (field, source) = composition.request.first else {
            throw ConfigurationError(key: "\(key).request", "name exactly one request field and its source")
        }
        let mode: Mode
        if let array = composition.forEach, let resultMap = composition.resultMap, let elementKey = composition.key {
            guard source == elementKey else {
                throw ConfigurationError(
                    key: "\(key).request", "with for_each, the source must be the key '\(elementKey)'")
            }
            mode = .forEach(array: array, key: elementKey, field: field, resultMap: resultMap)
        } else {
            guard
                let variable = route.template.variables.firstIndex(where: {
                    $0.fieldPath.joined(separator: ".") == source
                })
            else {
                throw ConfigurationError(
                    key: "\(key).request.\(field)", "'\(source)' is not a path variable of \(route.summary)")
            }
            mode = .single(field: field, variable: variable)
        }
        return CompiledComposition(
            method: method, cluster: cluster, inputIndex: inputIndex, outputIndex: outputIndex, mode: mode,
            attachAs: composition.attachAs, timeout: composition.timeout)
    }

    private static func method(service: String, name: String, in registry: DescriptorRegistry) -> (Int, Int, Bool)? {
        for file in registry.files {
            for descriptor in file.service
            where (file.package.isEmpty ? descriptor.name : "\(file.package).\(descriptor.name)") == service {
                for method in descriptor.method where method.name == name {
                    guard let input = registry.messageIndex(named: method.inputType),
                        let output = registry.messageIndex(named: method.outputType)
                    else { return nil }
                    let level = method.options.idempotencyLevel
                    return (input, output, level == .idempotent || level == .noSideEffects)
                }
            }
        }
        return nil
    }
}
