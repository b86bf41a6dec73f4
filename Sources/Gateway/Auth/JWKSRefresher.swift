import Logging
import NIOCore
import RPC
import Tokens
import Transcoding
import Upstream

/// Fetches the JWKS through the upstream pool of one loop and gives the keys to that loop's
/// authenticator: single-flight (callers that arrive while a fetch is out wait for it) and
/// rate-limited (at most one fetch per `minimumInterval`; callers in between get the cached keys).
/// A failed fetch keeps the keys there were: a JWKS outage never stops verification of known keys.
final class JWKSRefresher {
    private let method: MethodDescriptor
    private let outputIndex: Int
    private let pool: LoopPool
    private let transcoder: Transcoder
    private let minimumInterval: TimeAmount
    private let logger: Logger
    private var lastAttempt: NIODeadline?
    private var waiters: [(Bool) -> Void] = []
    private var inFlight = false
    /// Runs with every key set this refresher fetched, so the other loops can adopt it too.
    var onFetched: ((TokenKeySet) -> Void)?

    init(
        method: MethodDescriptor, outputIndex: Int, pool: LoopPool, transcoder: Transcoder, minimumInterval: Duration,
        logger: Logger
    ) {
        self.method = method
        self.outputIndex = outputIndex
        self.pool = pool
        // Strict proto3 JSON (no default values emitted): an empty `use` or `alg` would read as a
        // key for another purpose.
        self.transcoder = Transcoder(registry: transcoder.registry, options: .strict)
        self.minimumInterval = TimeAmount(minimumInterval)
        self.logger = logger
    }

    /// Refetches unless one ran within the interval; `completion(fetched)` runs on the loop once
    /// the keys are as fresh as they will get.
    func refresh(authenticator: EdgeAuthenticator, completion: @escaping (Bool) -> Void) {
        let now = self.pool.eventLoop.now
        if self.inFlight {
            self.waiters.append(completion)
            return
        }
        if let last = self.lastAttempt, now - last < self.minimumInterval {
            completion(false)
            return
        }
        self.inFlight = true
        self.lastAttempt = now
        self.waiters.append(completion)
        var request = RequestMessage(capacity: 0)
        self.pool.unary(self.method, framedRequest: request.framed(), deadline: now + .seconds(2)) { result in
            var fetched = false
            switch result {
            case .success(let response):
                do {
                    let json = try response.message.withUnsafeReadableBytes { wire in
                        var output: [UInt8] = []
                        try self.transcoder.wireToJSON(wire, messageIndex: self.outputIndex, into: &output)
                        return output
                    }
                    let keys = try TokenKeySet(jwks: json)
                    authenticator.replaceKeys(keys)
                    self.onFetched?(keys)
                    fetched = true
                } catch {
                    self.logger.warning("JWKS unreadable", metadata: ["error": "\(error)"])
                }
            case .failure(let failure):
                self.logger.warning("JWKS fetch failed", metadata: ["error": "\(failure)"])
            }
            self.inFlight = false
            let waiters = self.waiters
            self.waiters = []
            for waiter in waiters { waiter(fetched) }
        }
    }
}
