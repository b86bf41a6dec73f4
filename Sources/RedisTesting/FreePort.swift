import Foundation

/// Ports for test servers that stop and start again on the same port.
package enum FreePort {
    /// A port nothing listens on now, below the ephemeral range (32768 and up on Linux), so that no
    /// client socket or port-0 listener of another test takes it while the server is down.
    package static func belowEphemeralRange() throws -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20_000..<32_000)
            if Self.canBind(port) { return port }
        }
        throw RedisTestSetupError(description: "no free port found")
    }

    private static func canBind(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
