package import NIOCore

extension RedisPool {
    /// Pool limits, waiting and reconnect policy, and how each connection is made.
    package struct Configuration: Sendable {
        /// Exponential backoff between connection attempts after failures.
        package struct Backoff: Sendable {
            /// Delay after the first failure.
            package var initial: Duration
            /// Upper bound for the delay.
            package var maximum: Duration
            /// Growth factor per consecutive failure.
            package var multiplier: Double
            /// Random spread, as a fraction: 0.2 scales each delay by 0.8...1.2.
            package var jitter: Double

            /// 100 ms, doubling up to 5 s, ±20%.
            package init(
                initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5), multiplier: Double = 2,
                jitter: Double = 0.2
            ) {
                self.initial = initial
                self.maximum = maximum
                self.multiplier = multiplier
                self.jitter = jitter
            }

            /// The delay before the next attempt after `failures` failures in a row, scaled by `jitter`.
            package func delay(afterFailures failures: Int, jitter: Double = 1) -> TimeAmount {
                let maximum = Double(TimeAmount(self.maximum).nanoseconds)
                var delay = Double(TimeAmount(initial).nanoseconds)
                for _ in 1..<max(1, failures) where delay < maximum {
                    delay *= multiplier
                }
                return .nanoseconds(Int64(min(delay, maximum) * jitter))
            }

            /// A random factor in `1 ± jitter`.
            func randomJitter() -> Double {
                jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter)) : 1
            }
        }

        /// How to connect.
        package var connection: RedisConnection.Configuration
        /// At most this many connections, idle, leased or being opened.
        package var maxConnections: Int
        /// At most this many callers wait for a connection; more fail with `poolExhausted`.
        package var maxWaiters: Int
        /// A caller waits at most this long for a connection, then fails with `timeout`.
        package var waitTimeout: Duration
        /// Reconnect policy; while backing off, callers without an idle connection fail fast.
        package var backoff: Backoff

        /// A pool configuration: 8 connections, 512 waiters, 1 s wait.
        package init(
            connection: RedisConnection.Configuration = .defaults,
            maxConnections: Int = 8,
            maxWaiters: Int = 512,
            waitTimeout: Duration = .seconds(1),
            backoff: Backoff = Backoff()
        ) {
            self.connection = connection
            self.maxConnections = max(1, maxConnections)
            self.maxWaiters = max(0, maxWaiters)
            self.waitTimeout = waitTimeout
            self.backoff = backoff
        }

        /// The defaults, against 127.0.0.1:6379.
        package static var defaults: Configuration { Configuration() }
    }
}
