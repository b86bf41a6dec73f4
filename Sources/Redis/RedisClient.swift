package import NIOCore

/// Something that runs Redis commands: one connection or a pool. The seam for fakes in tests.
package protocol RedisClient: Sendable {
    /// Sends one command; a top-level error reply fails the future with `RedisError.Code.serverError`.
    func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue>
    /// Sends commands in one write on one connection; replies in order, error replies as `.error` values.
    func pipeline(_ commands: [RedisCommand]) -> EventLoopFuture<[RESPValue]>
}

extension RedisClient {
    /// Sends one command and waits for its reply.
    package func send(_ command: RedisCommand) async throws -> RESPValue {
        try await send(command).get()
    }

    /// Pipelines commands and waits for all replies.
    package func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await pipeline(commands).get()
    }

    /// Runs `commands` between MULTI and EXEC, all in one write; returns EXEC's replies.
    ///
    /// A command rejected while queueing fails the whole transaction with `serverError` (EXECABORT,
    /// nothing applied); a null EXEC (a WATCHed key changed) fails with `transactionAborted`.
    /// Errors raised while executing stay in the returned array as `.error` values.
    package func transaction(_ commands: [RedisCommand]) -> EventLoopFuture<[RESPValue]> {
        var all: [RedisCommand] = []
        all.reserveCapacity(commands.count + 2)
        all.append(.multi)
        all.append(contentsOf: commands)
        all.append(.exec)
        return pipeline(all).flatMapThrowing { replies in
            switch replies.last {
            case .array(let values):
                return values
            case .null:
                throw RedisError(code: .transactionAborted, message: "EXEC returned null: a watched key changed")
            case .error(let message):
                let queued = replies.dropLast().first { if case .error = $0 { true } else { false } }
                if case .error(let cause) = queued {
                    throw RedisError(code: .serverError, message: "\(message) (first: \(cause))")
                }
                throw RedisError(code: .serverError, message: message)
            default:
                throw RedisError(code: .protocolError, message: "unexpected EXEC reply")
            }
        }
    }

    /// Runs a MULTI/EXEC transaction and waits for its replies.
    package func transaction(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await transaction(commands).get()
    }

    /// Runs a Lua script by EVALSHA, falling back to EVAL (which caches it) when the server answers NOSCRIPT.
    package func evaluate(
        _ script: RedisScript, keys: [RESPArgument] = [], arguments: [RESPArgument] = []
    ) -> EventLoopFuture<RESPValue> {
        let first = send(RedisCommand(evaluating: script, bySHA: true, keys: keys, arguments: arguments))
        return first.flatMapError { [eventLoop = first.eventLoop] error in
            guard let redisError = error as? RedisError, redisError.serverErrorPrefix == "NOSCRIPT" else {
                return eventLoop.makeFailedFuture(error)
            }
            return send(RedisCommand(evaluating: script, bySHA: false, keys: keys, arguments: arguments))
                .hop(to: eventLoop)
        }
    }

    /// Runs a Lua script (EVALSHA, then EVAL on NOSCRIPT) and waits for its reply; no future
    /// chained per call for the fallback, no executor switch on the way in.
    package nonisolated(nonsending) func evaluate(
        _ script: RedisScript, keys: [RESPArgument] = [], arguments: [RESPArgument] = []
    ) async throws -> RESPValue {
        do {
            return try await send(RedisCommand(evaluating: script, bySHA: true, keys: keys, arguments: arguments)).get()
        } catch let error as RedisError where error.serverErrorPrefix == "NOSCRIPT" {
            return try await send(RedisCommand(evaluating: script, bySHA: false, keys: keys, arguments: arguments))
                .get()
        }
    }
}

extension RedisCommand {
    /// `EVALSHA sha1 numkeys keys... arguments...`, or `EVAL source ...`, built in one buffer.
    fileprivate init(evaluating script: RedisScript, bySHA: Bool, keys: [RESPArgument], arguments: [RESPArgument]) {
        self.init(bySHA ? "EVALSHA" : "EVAL", capacity: bySHA ? 256 : 256 + script.source.utf8.count)
        self.append(.string(bySHA ? script.sha1 : script.source))
        self.append(.int(keys.count))
        self.append(contentsOf: keys)
        self.append(contentsOf: arguments)
    }

    /// Made once: every transaction sends them.
    fileprivate static let multi = RedisCommand("MULTI")
    fileprivate static let exec = RedisCommand("EXEC")
}
