import Foundation
import NIOCore
import NIOPosix

/// A TCP listener on 127.0.0.1 that never accepts, with its accept queue filled, so new SYNs go unanswered.
final class SilentListener {
    let port: Int
    private let descriptor: Int32
    private var fillers: [any Channel] = []

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 0) == 0
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw TestRedis.SetupError(description: "could not bind a silent listener") }
        port = Int(UInt16(bigEndian: address.sin_port))
        // Fill the accept queue; once a connect times out, the queue is full.
        for _ in 0..<8 {
            let bootstrap = ClientBootstrap(group: TestRedis.group).connectTimeout(.milliseconds(200))
            guard let channel = try? bootstrap.connect(host: "127.0.0.1", port: port).wait() else { return }
            fillers.append(channel)
        }
        throw TestRedis.SetupError(description: "the silent listener's accept queue never filled")
    }

    func close() {
        for channel in fillers { channel.close(promise: nil) }
        Glibc.close(descriptor)
    }
}
