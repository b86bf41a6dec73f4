import CallerIdentity
import Foundation
import HTTP2
import NIOCore
import RPC
import Upstream

/// One gRPC call from a caller on the gateway's listener, passed through to the cluster that
/// serves its service: the request head is checked (service known, auth policy, deadline capped)
/// and rewritten (identity metadata in, the caller's `x-halo-*` out), then messages flow both
/// ways as bytes, unparsed, with HTTP/2 flow control carried across: the caller's window reopens
/// only as the backend stream takes its bytes, the backend's only as the caller's stream takes
/// them, so neither side can make the gateway buffer more than a window.
///
/// Cancellation crosses both ways: a caller's RST_STREAM (or lost connection) resets the backend
/// stream; a backend that resets or dies ends the caller's call with a status (UNAVAILABLE,
/// CANCELLED, ...) when the bytes forwarded end on a whole message, with RST_STREAM otherwise.
/// Runs on the connection's event loop, which is the pool's loop.
final class GRPCPassThroughStream: StreamHandler, UpstreamStreamDelegate {
    private enum State {
        case awaitingHead
        /// The token's key is unknown: one JWKS refetch, then the call is judged again.
        case awaitingKeys(Call)
        case proxying(UpstreamStream)
        /// Answered (or the caller went away): DATA still arriving is dropped.
        case done
    }

    /// What is known of the call once its head is read.
    private struct Call {
        var route: GRPCRoute
        var path: String
        var headers: [Header]
        var token: Substring?
        var deadline: NIODeadline
    }

    private unowned let pipeline: GatewayPipeline
    private let requestIDs: RequestIDGenerator
    private var state = State.awaitingHead
    private var client: HTTP2.Stream?
    /// Request DATA (and its end) received while the call waits for keys: not consumed, so the
    /// caller's window bounds it.
    private var early: [(ByteBuffer, endStream: Bool)] = []
    /// Caller bytes received but not yet given back as window (the backend stream is full).
    private var heldRequestBytes = 0
    /// Backend bytes passed to the caller but not yet given back as window (the caller is slow).
    private var heldResponseBytes = 0
    private var responseStarted = false
    private var cursor = GRPCFrameCursor()
    // For the access log line and the answer's `x-request-id`.
    private var requestID = ""
    private var path = ""
    private var receivedAt = NIODeadline.uptimeNanoseconds(0)
    private var userID: String?

    init(pipeline: GatewayPipeline, requestIDs: RequestIDGenerator) {
        self.pipeline = pipeline
        self.requestIDs = requestIDs
    }

    // MARK: The caller's stream

    func streamReceivedHeaders(_ stream: HTTP2.Stream, headers: [Header], endStream: Bool) {
        guard case .awaitingHead = self.state else { return }  // trailers from the caller: nothing to say
        self.client = stream
        self.receivedAt = stream.eventLoop.now
        let configuration = self.pipeline.state.configuration
        var path: String?
        var timeout: Duration?
        var authorization: String?
        var authorizationCount = 0
        var requestID: String?
        for header in headers {
            switch header.token {
            case .path: path = header.value
            case .grpcTimeout: timeout = Timeout.parse(header.value)
            case .authorization:
                authorization = header.value
                authorizationCount += 1
            case .other where header.name == "x-request-id": requestID = header.value
            default: break
            }
        }
        guard let path, let route = self.pipeline.grpcRoute(path: path) else {
            if let path, let service = Self.service(of: path) {
                self.answer(.unimplemented, "unknown service \(service)")
            } else {
                self.answer(.unimplemented, "the path is not /package.Service/Method")
            }
            return
        }
        let policy = route.policy
        var forwarded = Self.forwardedHeaders(headers, policy: policy)
        self.path = path
        self.requestID = self.requestIDs.requestID(echoing: requestID)
        forwarded.append(Header("x-request-id", self.requestID))
        let budget = min(timeout ?? configuration.grpc.defaultTimeout, configuration.grpc.maxTimeout)
        var call = Call(
            route: route, path: path, headers: forwarded, token: nil,
            deadline: stream.eventLoop.now + TimeAmount(budget))
        if policy != .trusted, policy != .none, authorization != nil {
            guard authorizationCount == 1, let token = Self.bearerToken(authorization!) else {
                self.answer(.unauthenticated, "the authorization header must be one Bearer <token>")
                return
            }
            call.token = token
        }
        if endStream { self.early.append((ByteBuffer(), true)) }
        self.authorize(call, refetch: nil)
    }

    func streamReceivedData(_ stream: HTTP2.Stream, data: ByteBuffer) {
        switch self.state {
        case .proxying(let upstream) where !upstream.isFinished:
            upstream.write(data, endStream: false)
            if upstream.isWritable {
                stream.consume(data.readableBytes)
            } else {
                self.heldRequestBytes += data.readableBytes
            }
        case .awaitingKeys, .awaitingHead:
            self.early.append((data, false))
        case .proxying, .done:
            stream.consume(data.readableBytes)
        }
    }

    func streamReceivedEnd(_ stream: HTTP2.Stream) {
        switch self.state {
        case .proxying(let upstream): upstream.write(ByteBuffer(), endStream: true)
        case .awaitingKeys, .awaitingHead: self.early.append((ByteBuffer(), true))
        case .done: break
        }
    }

    func streamClosed(_ stream: HTTP2.Stream, reason: CloseReason) {
        // The caller reset the stream or the connection went: the backend call is cancelled.
        if case .proxying(let upstream) = self.state { upstream.cancel() }
        self.state = .done
        self.client = nil
        self.early = []
    }

    func streamWritabilityChanged(_ stream: HTTP2.Stream, isWritable: Bool) {
        guard isWritable, self.heldResponseBytes > 0, case .proxying(let upstream) = self.state else { return }
        let bytes = self.heldResponseBytes
        self.heldResponseBytes = 0
        upstream.consume(bytes)
    }

    // MARK: Authentication

    /// Applies the service's auth policy, then starts the backend call. `refetch` is nil until
    /// an unknown key made the JWKS be fetched again, then whether that fetch brought keys.
    private func authorize(_ call: consuming Call, refetch: Bool?) {
        switch call.route.policy {
        case .trusted, .none:
            break
        case .required, .optional:
            var identity = Identity.anonymous
            if let token = call.token {
                switch self.pipeline.authenticator.verify(token) {
                case .user(let verified):
                    identity = verified
                case .unknownKey where refetch == nil && self.pipeline.jwks != nil:
                    self.state = .awaitingKeys(call)
                    self.pipeline.jwks!.refresh(authenticator: self.pipeline.authenticator) { fetched in
                        guard case .awaitingKeys(let waiting) = self.state else { return }
                        self.authorize(waiting, refetch: fetched)
                    }
                    return
                case .unknownKey:
                    if let fetched = refetch, self.pipeline.authenticator.keysUnavailable(fetched: fetched) {
                        self.answer(
                            .unavailable, EdgeAuthenticator.keysUnavailableDetail, extra: [Header("retry-after", "1")])
                    } else {
                        self.answer(.unauthenticated, "token key id is not known")
                    }
                    return
                case .refused(let reason):
                    self.answer(.unauthenticated, reason)
                    return
                case .anonymous:
                    break
                }
            }
            if call.route.policy == .required, identity.userID == nil {
                self.answer(.unauthenticated, "authentication required")
                return
            }
            if let userID = identity.userID {
                self.userID = userID.lowercasedString
                call.headers.append(Header(Identity.userIDKey, self.userID!))
                call.headers.append(Header(Identity.adultKey, identity.isAdult ? "true" : "false"))
                call.headers.append(Header(Identity.adminKey, identity.isAdmin ? "true" : "false"))
            }
        }
        self.start(call)
    }

    private func start(_ call: Call) {
        guard let pool = self.pipeline.pool(call.route.cluster) else {
            self.answer(.unavailable, "no backend for this service")
            return
        }
        // Events may arrive before `stream` returns (a refusal made at once): the state says so.
        self.state = .awaitingHead
        let upstream = pool.stream(
            path: call.path, method: call.route.method, headers: call.headers, deadline: call.deadline, delegate: self)
        guard !upstream.isFinished, case .awaitingHead = self.state else { return }
        self.state = .proxying(upstream)
        let early = self.early
        self.early = []
        for (data, endStream) in early {
            upstream.write(data, endStream: endStream)
            if data.readableBytes > 0 { self.heldRequestBytes += data.readableBytes }
        }
        if upstream.isWritable { self.releaseRequestWindow() }
    }

    // MARK: UpstreamStreamDelegate

    func upstreamStream(_ stream: UpstreamStream, receivedHead headers: [Header]) {
        guard let client = self.client else { return }
        var head: [Header] = []
        head.reserveCapacity(headers.count + 1)
        for header in headers where Self.passesBack(header) { head.append(header) }
        head.append(Header("x-request-id", self.requestID))
        self.responseStarted = true
        client.sendHeaders(head, endStream: false)
    }

    func upstreamStream(_ stream: UpstreamStream, receivedData data: ByteBuffer) {
        guard let client = self.client else {
            stream.consume(data.readableBytes)
            return
        }
        self.cursor.advance(over: data)
        client.write(data)
        if client.isWritable {
            stream.consume(data.readableBytes)
        } else {
            self.heldResponseBytes += data.readableBytes
        }
    }

    func upstreamStream(_ stream: UpstreamStream, writabilityChanged isWritable: Bool) {
        if isWritable { self.releaseRequestWindow() }
    }

    func upstreamStream(_ stream: UpstreamStream, finished end: UpstreamStream.End) {
        self.state = .done
        switch end {
        case .status(let code, _, _): self.log(code)
        case .failed(let failure): self.log(failure.code)
        }
        guard let client = self.client else { return }
        // What the caller sent and the backend will not read any more: its window goes back.
        for (data, _) in self.early { self.heldRequestBytes += data.readableBytes }
        self.early = []
        self.releaseRequestWindow()
        switch end {
        case .status(_, let trailers, let trailersOnly):
            let passes = { (header: Header) in
                Self.passesBack(header) && (trailersOnly || header.name.utf8.first != UInt8(ascii: ":"))
            }
            // Usually every field passes: the backend's list goes back as it is, not copied.
            client.sendTrailers(trailers.allSatisfy(passes) ? trailers : trailers.filter(passes))
        case .failed(let failure):
            if self.responseStarted, !self.cursor.isAtBoundary {
                // Part of a message went out: a status now would read as a truncated message.
                client.reset(failure.code == .cancelled ? .cancel : .internalError)
                return
            }
            var trailers = Self.status(failure.code, failure.failure.error.message, headOnly: !self.responseStarted)
            if let retryAfter = failure.retryAfter {
                trailers.append(Header("retry-after", String(max(1, retryAfter.components.seconds))))
            }
            client.sendTrailers(trailers)
        }
    }

    // MARK: Answers

    private func releaseRequestWindow() {
        guard self.heldRequestBytes > 0, let client = self.client else { return }
        let bytes = self.heldRequestBytes
        self.heldRequestBytes = 0
        client.consume(bytes)
    }

    /// Ends the call here, before any backend call, with a trailers-only response.
    private func answer(_ code: RPCError.Code, _ message: String, extra: [Header] = []) {
        self.state = .done
        self.log(code)
        for (data, _) in self.early where data.readableBytes > 0 { self.client?.consume(data.readableBytes) }
        self.early = []
        var fields = Self.status(code, message, headOnly: true)
        fields.append(contentsOf: extra)
        if !self.requestID.isEmpty { fields.append(Header("x-request-id", self.requestID)) }
        self.client?.sendTrailers(fields)
    }

    private func log(_ code: RPCError.Code) {
        self.pipeline.logGRPCCall(
            path: self.path, requestID: self.requestID, code: code, receivedAt: self.receivedAt, userID: self.userID)
    }

    /// A status as trailers; `headOnly` makes them a whole (trailers-only) response.
    static func status(_ code: RPCError.Code, _ message: String, headOnly: Bool) -> [Header] {
        var fields: [Header] = []
        if headOnly {
            fields.append(Header(":status", "200"))
            fields.append(Header("content-type", "application/grpc"))
        }
        fields.append(Header("grpc-status", String(code.rawValue)))
        if !message.isEmpty { fields.append(Header("grpc-message", PercentEncoding.encode(message))) }
        return fields
    }

    // MARK: Header policy

    /// `package.Service` of `/package.Service/Method`.
    static func service(of path: String) -> String? {
        let utf8 = path.utf8
        guard utf8.first == UInt8(ascii: "/"), let slash = utf8.lastIndex(of: UInt8(ascii: "/")),
            utf8.distance(from: utf8.startIndex, to: slash) > 1, utf8.index(after: slash) != utf8.endIndex
        else { return nil }
        return String(path[path.index(after: path.startIndex)..<slash])
    }

    /// The caller's fields that go upstream: not pseudo-headers (the call sets its own), not
    /// connection-specific ones, not `grpc-timeout` (the capped budget is sent instead), not the
    /// request id (set here); `x-halo-*` and `authorization` only from a trusted caller.
    static func forwardedHeaders(_ headers: [Header], policy: GatewayConfiguration.GRPCAuthPolicy) -> [Header] {
        var forwarded: [Header] = []
        forwarded.reserveCapacity(headers.count + 4)
        for header in headers {
            switch header.token {
            case .method, .scheme, .path, .authority, .status, .grpcTimeout, .connection, .host, .keepAlive,
                .proxyConnection, .transferEncoding, .upgrade, .contentLength:
                continue
            case .authorization where policy != .trusted:
                continue
            case .other:
                if header.name == "x-request-id" { continue }
                if policy != .trusted, header.name.hasPrefix("x-halo-") { continue }
                forwarded.append(header)
            default:
                forwarded.append(header)
            }
        }
        return forwarded
    }

    /// Response fields passed back to the caller: all but connection-specific ones.
    static func passesBack(_ header: Header) -> Bool {
        switch header.token {
        case .connection, .keepAlive, .proxyConnection, .transferEncoding, .upgrade, .contentLength: false
        default: true
        }
    }

    static func bearerToken(_ authorization: String) -> Substring? {
        guard authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return nil }
        let token = authorization.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : token
    }
}
