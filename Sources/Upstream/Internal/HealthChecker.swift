import Logging
import NIOCore
import RPC

/// Active `grpc.health.v1` checking of one endpoint over one of its connections: a Watch stream
/// whose pushes apply at once, or Check polls every interval when the server answers Watch with
/// UNIMPLEMENTED. Results go to `onResult`; the owner applies them to `HealthStatus`. Its calls
/// do not keep the connection from going idle; while it is idle, checking pauses.
final class HealthChecker {
    enum Result {
        /// A Watch push: the server's status, authoritative at once.
        case watched(serving: Bool)
        /// A Check answered (SERVING or not).
        case checked(serving: Bool)
        /// A Check failed, or a Watch stream broke.
        case failed
        /// The server has no health service (Check is UNIMPLEMENTED too): checking stops and the
        /// endpoint counts as healthy, as gRPC clients do.
        case unsupported
    }

    static let watch = MethodDescriptor(service: "grpc.health.v1.Health", method: "Watch", kind: .serverStreaming)
    static let check = MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", isIdempotent: true)

    private enum Mode { case watch, poll }

    private let subchannel: Subchannel
    private let configuration: ClusterConfiguration.HealthCheck
    private let request: ByteBuffer
    private let onResult: (Result) -> Void
    private var mode = Mode.watch
    private var timer: Scheduled<Void>?
    private var call: CallHandle?
    private var stopped = false
    /// The connection was closed for idleness: nothing runs until it is ready again.
    private var paused = false

    init(
        subchannel: Subchannel, configuration: ClusterConfiguration.HealthCheck,
        onResult: @escaping (Result) -> Void
    ) {
        self.subchannel = subchannel
        self.configuration = configuration
        self.onResult = onResult
        var message = RequestMessage(capacity: configuration.service.utf8.count + 8)
        if !configuration.service.isEmpty {
            // HealthCheckRequest { string service = 1; }
            message.buffer.writeInteger(UInt8(0x0A))
            Self.writeVarint(UInt64(configuration.service.utf8.count), to: &message.buffer)
            message.buffer.writeString(configuration.service)
        }
        self.request = message.framed()
    }

    /// The connection became ready: check now. A check waiting out its interval after the last
    /// connection broke runs at once, so a restarted backend is back as soon as it says SERVING,
    /// not an interval later (the connection's own backoff paces how often this happens).
    func connectionReady() {
        guard !self.stopped, self.call == nil else { return }
        self.paused = false
        self.timer?.cancel()
        self.timer = nil
        self.runCheck()
    }

    /// The connection was closed for want of calls: checks pause until `connectionReady()`, and
    /// the check or Watch stream this cancels is no failure: the endpoint keeps its last health
    /// (what a check of a connection nobody uses would say is not worth keeping it open for).
    func pause() {
        guard !self.stopped else { return }
        self.paused = true
        self.timer?.cancel()
        self.timer = nil
        let call = self.call
        self.call = nil
        call?.cancel()
    }

    func stop() {
        self.stopped = true
        self.timer?.cancel()
        self.timer = nil
        self.call?.cancel()
        self.call = nil
    }

    private func runCheck() {
        guard !self.stopped, !self.paused else { return }
        guard self.subchannel.hasCapacity else {
            self.scheduleNext()
            return
        }
        switch self.mode {
        case .watch: self.startWatch()
        case .poll: self.startCheck()
        }
    }

    private func startWatch() {
        self.call = self.subchannel.serverStreaming(
            Self.watch, request: self.request, deadline: nil, background: true,
            onMessage: { message in
                guard let status = Self.servingStatus(message) else { return }
                self.onResult(.watched(serving: status == 1))
            },
            onComplete: { outcome, _ in
                self.call = nil
                guard !self.stopped, !self.paused else { return }
                if case .failure(let failure) = outcome, failure.code == .unimplemented, failure.origin == .server {
                    self.mode = .poll
                    self.startCheck()
                    return
                }
                // The stream ended (connection lost, server restart): a failed check until it is back.
                self.onResult(.failed)
                self.scheduleNext()
            })
    }

    private func startCheck() {
        let deadline = self.subchannel.eventLoop.now + TimeAmount(self.configuration.timeout)
        self.call = self.subchannel.unary(
            Self.check, request: self.request, deadline: deadline, background: true
        ) { result in
            self.call = nil
            guard !self.stopped, !self.paused else { return }
            switch result {
            case .success(let response):
                self.onResult(.checked(serving: Self.servingStatus(response.message) == 1))
            case .failure(let failure) where failure.code == .unimplemented && failure.origin == .server:
                self.stopped = true
                self.onResult(.unsupported)
                return
            case .failure:
                self.onResult(.failed)
            }
            self.scheduleNext()
        }
    }

    private func scheduleNext() {
        guard !self.stopped, !self.paused else { return }
        self.timer = self.subchannel.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(self.configuration.interval)
        ) {
            self.timer = nil
            self.runCheck()
        }
    }

    /// `HealthCheckResponse.status` (field 1, varint): 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN;
    /// an empty message is UNKNOWN (0). Nil if the bytes are not a HealthCheckResponse.
    static func servingStatus(_ message: ByteBuffer) -> UInt64? {
        var buffer = message
        var status: UInt64 = 0
        while buffer.readableBytes > 0 {
            guard let key = Self.readVarint(&buffer) else { return nil }
            switch key & 7 {
            case 0:
                guard let value = Self.readVarint(&buffer) else { return nil }
                if key >> 3 == 1 { status = value }
            case 2:
                guard let length = Self.readVarint(&buffer), buffer.readSlice(length: Int(length)) != nil else {
                    return nil
                }
            case 1:
                guard buffer.readSlice(length: 8) != nil else { return nil }
            case 5:
                guard buffer.readSlice(length: 4) != nil else { return nil }
            default:
                return nil
            }
        }
        return status
    }

    private static func readVarint(_ buffer: inout ByteBuffer) -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard let byte = buffer.readInteger(as: UInt8.self) else { return nil }
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }

    private static func writeVarint(_ value: UInt64, to buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(value & 0x7F | 0x80))
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }
}
