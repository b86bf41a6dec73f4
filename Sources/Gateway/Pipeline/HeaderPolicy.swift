/// Which request headers may travel upstream as metadata: only names the configuration
/// allowlists, and never identity (`x-halo-*`, re-derived from the token), gRPC's own (`grpc-*`),
/// hop-by-hop, framing or credential headers, whatever the allowlist says.
enum HeaderPolicy {
    static let neverForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length", "content-type", "authorization",
        "cookie", "x-request-id", "user-id", "x-user-id", "x-forwarded-user",
    ]

    static func mayForward(_ name: String) -> Bool {
        guard !name.hasPrefix("x-halo-"), !name.hasPrefix("grpc-"), !name.hasPrefix(":") else { return false }
        return !Self.neverForwarded.contains(name)
    }
}
