import NIOCore
import RPC
import Transcoding
import Upstream

/// The admin listener's JSON documents.
enum AdminDocuments {
    /// Every REST route, in declaration order, with its method, cluster and policy.
    static func routes(_ state: GatewayState) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeStaticString("{\"routes\":[")
        for (index, binding) in state.bindings.enumerated() {
            if index > 0 { out.writeStaticString(",") }
            out.writeStaticString("{\"http_method\":")
            JSONText.writeString(binding.route.httpMethod, to: &out)
            out.writeStaticString(",\"path\":")
            JSONText.writeString(binding.route.template.text, to: &out)
            out.writeStaticString(",\"grpc_method\":")
            JSONText.writeString(binding.name, to: &out)
            out.writeStaticString(",\"cluster\":")
            JSONText.writeString(binding.cluster, to: &out)
            out.writeStaticString(",\"auth\":")
            JSONText.writeString(binding.policy.auth?.rawValue ?? "optional", to: &out)
            out.writeStaticString(",\"status\":")
            out.writeString(String(binding.policy.status ?? 200))
            out.writeStaticString(",\"timeout_ms\":")
            out.writeString(
                String(
                    (binding.policy.timeout ?? .seconds(5)).components.seconds * 1000
                        + (binding.policy.timeout ?? .zero).components.attoseconds / 1_000_000_000_000_000))
            out.writeStaticString(",\"idempotent\":")
            out.writeString(binding.method.isIdempotent ? "true" : "false")
            out.writeStaticString("}")
        }
        out.writeStaticString("]}")
        return out
    }

    /// The configuration in force. It holds no secret today (tokens are verified with public
    /// keys fetched at run time); a secret added later must be written here as "<redacted>".
    static func configuration(_ configuration: GatewayConfiguration) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeStaticString("{\"listen\":")
        JSONText.writeString("\(configuration.listen.host):\(configuration.listen.port)", to: &out)
        out.writeStaticString(",\"admin\":")
        JSONText.writeString("\(configuration.admin.host):\(configuration.admin.port)", to: &out)
        out.writeStaticString(",\"descriptor_set\":")
        JSONText.writeString(configuration.descriptorSet ?? "(built in)", to: &out)
        out.writeStaticString(",\"clusters\":{")
        for (index, name) in configuration.clusters.keys.sorted().enumerated() {
            if index > 0 { out.writeStaticString(",") }
            JSONText.writeString(name, to: &out)
            out.writeStaticString(":[")
            for (position, endpoint) in configuration.clusters[name]!.endpoints.enumerated() {
                if position > 0 { out.writeStaticString(",") }
                JSONText.writeString(endpoint, to: &out)
            }
            out.writeStaticString("]")
        }
        out.writeStaticString("},\"cluster_settings\":")
        Self.writeClusterSettings(configuration, to: &out)
        out.writeStaticString(",\"services\":{")
        for (index, service) in configuration.services.keys.sorted().enumerated() {
            if index > 0 { out.writeStaticString(",") }
            JSONText.writeString(service, to: &out)
            out.writeStaticString(":")
            JSONText.writeString(configuration.services[service]!, to: &out)
        }
        out.writeStaticString("},\"forwarded_headers\":[")
        for (index, name) in configuration.forwardedHeaders.enumerated() {
            if index > 0 { out.writeStaticString(",") }
            JSONText.writeString(name, to: &out)
        }
        out.writeStaticString("],\"authentication\":{\"issuer\":")
        JSONText.writeString(configuration.authentication.issuer, to: &out)
        out.writeStaticString(",\"audience\":")
        JSONText.writeString(configuration.authentication.audience, to: &out)
        out.writeStaticString(",\"jwks_method\":")
        JSONText.writeString(configuration.authentication.jwksMethod, to: &out)
        out.writeStaticString("}}")
        return out
    }

    /// Per cluster and loop: breaker state, requests, endpoints with health and ejection.
    static func clusters(_ snapshots: [ClusterSnapshot]) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeStaticString("{\"clusters\":[")
        for (index, snapshot) in snapshots.enumerated() {
            if index > 0 { out.writeStaticString(",") }
            out.writeStaticString("{\"name\":")
            JSONText.writeString(snapshot.name, to: &out)
            out.writeStaticString(",\"usable\":")
            out.writeString(snapshot.hasUsableEndpoint ? "true" : "false")
            out.writeStaticString(",\"loops\":[")
            for (position, loop) in snapshot.loops.enumerated() {
                if position > 0 { out.writeStaticString(",") }
                out.writeStaticString("{\"breaker\":")
                JSONText.writeString("\(loop.breaker)", to: &out)
                out.writeString(",\"active\":\(loop.activeRequests),\"pending\":\(loop.pendingRequests)")
                out.writeString(",\"retries\":\(loop.activeRetries),\"endpoints\":[")
                for (slot, endpoint) in loop.endpoints.enumerated() {
                    if slot > 0 { out.writeStaticString(",") }
                    out.writeStaticString("{\"address\":")
                    JSONText.writeString(endpoint.address, to: &out)
                    out.writeStaticString(",\"health\":")
                    JSONText.writeString("\(endpoint.health)", to: &out)
                    out.writeString(
                        ",\"ejected\":\(endpoint.ejected),\"ejections\":\(endpoint.ejections),\"in_flight\":\(endpoint.inFlight)"
                    )
                    out.writeStaticString(",\"connections\":[")
                    for (number, connection) in endpoint.connections.enumerated() {
                        if number > 0 { out.writeStaticString(",") }
                        JSONText.writeString("\(connection)", to: &out)
                    }
                    out.writeStaticString("]}")
                }
                out.writeStaticString("]}")
            }
            out.writeStaticString("]}")
        }
        out.writeStaticString("]}")
        return out
    }
}
