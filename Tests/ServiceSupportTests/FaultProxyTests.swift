import Foundation
import Logging
import ServiceSupport
import ServiceSupportTesting
import Testing

@Suite struct FaultProxyTests {
    let logger = Logger.test("halo.test.proxy")

    @Test func carriesManyConcurrentConnections() async throws {
        try await TestDatabases.withFresh(.postgres) { fresh in
            let direct = try #require(fresh.url)
            let target = try #require(URLComponents(string: direct))
            let proxy = FaultProxy(targetHost: try #require(target.host), targetPort: try #require(target.port))
            let port = try await proxy.start()
            let proxied = TestDatabases.replacingAddress(in: direct, host: "127.0.0.1", port: port)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await TestDatabase(dialect: .postgres, url: proxied, dataDirectory: fresh.dataDirectory)
                            .withOpen(service: "proxy", logger: self.logger) { database in
                                for _ in 0..<5 { try await database.ping(timeout: .seconds(20)) }
                            }
                    }
                }
                try await group.waitForAll()
            }
            await proxy.stop()
        }
    }
}
