package import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves with the system resolver (getaddrinfo) on NIO's thread pool, never on an event loop:
/// every A and AAAA address of a name. IP literals need no lookup.
package struct DNSResolver: EndpointResolver {
    package init() {}

    package func resolve(
        _ endpoint: ClusterConfiguration.Endpoint, on eventLoop: any EventLoop
    ) -> EventLoopFuture<[SocketAddress]> {
        if let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
            return eventLoop.makeSucceededFuture([address])
        }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            try Self.lookUp(host: endpoint.host, port: endpoint.port)
        }
    }

    private static func lookUp(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw ResolutionError(host: host, message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let raw = info.pointee.ai_addr {
                let address: SocketAddress?
                switch Int32(info.pointee.ai_family) {
                case AF_INET:
                    address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        SocketAddress($0.pointee, host: host)
                    }
                case AF_INET6:
                    address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        SocketAddress($0.pointee, host: host)
                    }
                default:
                    address = nil
                }
                if let address, !addresses.contains(address) { addresses.append(address) }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}

/// A name that did not resolve.
package struct ResolutionError: Error, Sendable, CustomStringConvertible {
    package var host: String
    package var message: String
    package var description: String { "could not resolve \(self.host): \(self.message)" }
}
