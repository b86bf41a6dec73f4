package import ServiceSupport
package import Upstream

extension EngagementConfiguration {
    /// The video service, asked whether videos exist: one or more replicas behind an Upstream
    /// cluster (round-robin, health watched, outlier ejection, circuit breaker, retries of the
    /// read-only calls inside the deadline), and the answers' cache.
    package struct Videos: Sendable {
        /// Where the replicas are and how calls to them are balanced, limited and retried; its
        /// `defaultTimeout` is replaced by `directory.timeout`.
        package var cluster: ClusterConfiguration
        package var directory = RemoteVideoDirectory.Configuration.defaults

        package init() {
            var cluster = ClusterConfiguration(name: "video", endpoints: [.init(host: "127.0.0.1", port: 50052)])
            // The video service reports its database's health under its own name.
            cluster.healthCheck?.service = "halo.video.v1.VideoService"
            cluster.connectTimeout = .seconds(1)
            self.cluster = cluster
        }

        /// The cluster as the service runs it: every call's deadline at most `directory.timeout`.
        package var clusterConfiguration: ClusterConfiguration {
            var cluster = self.cluster
            cluster.defaultTimeout = self.directory.timeout
            return cluster
        }

        /// Reads the video service's variables over these settings:
        ///
        /// | variable | meaning |
        /// |---|---|
        /// | `HALO_ENGAGEMENT_VIDEO_ADDRESS` | replicas, comma-separated `host:port` (a DNS name stands for all its addresses, re-resolved every 30 s); default `127.0.0.1:50052` |
        /// | `HALO_ENGAGEMENT_VIDEO_TIMEOUT_MS` | longest wait for an answer, 1-60000 (default 1000) |
        /// | `HALO_ENGAGEMENT_VIDEO_CACHE_MS` | how long a found video is trusted per caller identity, 0-1000 (default 500; 0 turns the cache off) |
        /// | `HALO_ENGAGEMENT_VIDEO_CONNECTIONS` | HTTP/2 connections per replica per event loop, 1-64 (default 1) |
        /// | `HALO_ENGAGEMENT_VIDEO_HEALTH_SERVICE` | the grpc.health.v1 service watched (default `halo.video.v1.VideoService`); `none` turns active checks off |
        package mutating func read(_ environment: [String: String]) throws(ConfigurationError) {
            func value(_ key: String) throws(ConfigurationError) -> String? {
                guard let value = environment[key], !value.isEmpty else { return nil }
                guard !value.contains(where: { $0.isWhitespace }) else {
                    throw ConfigurationError(key: key, message: "must not contain whitespace")
                }
                return value
            }
            func milliseconds(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Duration? {
                guard let text = try value(key) else { return nil }
                guard let number = Int(text), range.contains(number) else {
                    throw ConfigurationError(
                        key: key, message: "not a whole number \(range.lowerBound)-\(range.upperBound): \"\(text)\"")
                }
                return .milliseconds(number)
            }

            if let list = try value("HALO_ENGAGEMENT_VIDEO_ADDRESS") {
                var endpoints: [ClusterConfiguration.Endpoint] = []
                for item in list.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let endpoint = ClusterConfiguration.Endpoint(String(item)) else {
                        throw ConfigurationError(
                            key: "HALO_ENGAGEMENT_VIDEO_ADDRESS", message: "not host:port: \"\(item)\"")
                    }
                    endpoints.append(endpoint)
                }
                self.cluster.endpoints = endpoints
            }
            if let timeout = try milliseconds("HALO_ENGAGEMENT_VIDEO_TIMEOUT_MS", in: 1...60_000) {
                self.directory.timeout = timeout
            }
            if let ttl = try milliseconds("HALO_ENGAGEMENT_VIDEO_CACHE_MS", in: 0...1000) {
                self.directory.cacheTTL = ttl
            }
            if let text = try value("HALO_ENGAGEMENT_VIDEO_CONNECTIONS") {
                guard let number = Int(text), (1...64).contains(number) else {
                    throw ConfigurationError(
                        key: "HALO_ENGAGEMENT_VIDEO_CONNECTIONS", message: "not a whole number 1-64: \"\(text)\"")
                }
                self.cluster.connectionsPerEndpoint = number
            }
            if let service = try value("HALO_ENGAGEMENT_VIDEO_HEALTH_SERVICE") {
                if service == "none" {
                    self.cluster.healthCheck = nil
                } else {
                    var check = self.cluster.healthCheck ?? ClusterConfiguration.HealthCheck()
                    check.service = service
                    self.cluster.healthCheck = check
                }
            }
        }
    }
}
