import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT.
enum Signals {
    static func waitForTermination() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            Sources.shared.keep(source)
        }
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// Runs `handler` (on a global queue) every time `signalNumber` arrives.
    static func onSignal(_ signalNumber: Int32, _ handler: @escaping @Sendable () -> Void) {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        Sources.shared.keep(source)
    }

    /// Keeps the signal sources alive for the life of the process.
    private final class Sources: @unchecked Sendable {
        static let shared = Sources()
        private let lock = NSLock()
        private var sources: [any DispatchSourceSignal] = []
        func keep(_ source: any DispatchSourceSignal) { self.lock.withLock { self.sources.append(source) } }
    }
}
