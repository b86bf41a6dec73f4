import NIOCore
import NIOHTTP1
import RPC
import Upstream

/// The admin listener (loopback by default): `/metrics`, `/admin/routes`, `/admin/clusters`,
/// `/admin/config`, `POST /admin/reload`, and `/health`. Off the data plane: answers that need
/// the whole process (cluster snapshots, reload) are computed in a task and written back on the
/// connection's loop.
final class AdminPipeline: RequestPipeline {
    private let app: GatewayApp
    private let eventLoop: any EventLoop

    init(app: GatewayApp, eventLoop: any EventLoop) {
        self.app = app
        self.eventLoop = eventLoop
    }

    func admit(_ exchange: Exchange) -> Admission {
        let request = exchange.request
        switch (request.method, request.path) {
        case (.GET, "/health"):
            return .respond(.json(200, ByteBuffer(staticString: "{\"status\":\"ok\"}")))
        case (.GET, "/metrics"):
            let text = self.app.renderMetrics?() ?? ""
            return .respond(
                GatewayResponse(
                    status: 200, headers: [("content-type", "text/plain; version=0.0.4")],
                    body: ByteBuffer(string: text)))
        case (.GET, "/admin/routes"):
            return .respond(.json(200, AdminDocuments.routes(self.app.state)))
        case (.GET, "/admin/config"):
            return .respond(.json(200, AdminDocuments.configuration(self.app.state.configuration)))
        case (.GET, "/admin/clusters"), (.POST, "/admin/reload"):
            return .readBody(limit: 0)
        default:
            return .respond(
                Problem(code: .notFound, detail: "no admin route for this path").response(
                    requestID: request.requestID))
        }
    }

    func handle(_ exchange: Exchange) {
        let loop = self.eventLoop
        let box = NIOLoopBound(exchange, eventLoop: loop)
        let app = self.app
        let requestID = exchange.request.requestID
        // Tasks here are the admin listener's, never the data plane's: a snapshot or reload spans
        // every loop, and the answer comes back on this connection's loop.
        if exchange.request.method == .GET {
            Task {
                let snapshots = await app.clusterSnapshots()
                let body = AdminDocuments.clusters(snapshots)
                loop.execute { box.value.respond(.json(200, body)) }
            }
            return
        }
        Task {
            let response: GatewayResponse
            do {
                try await app.reloadFromSource()
                response = .json(
                    200, ByteBuffer(string: "{\"status\":\"reloaded\",\"routes\":\(app.state.bindings.count)}"))
            } catch {
                response = Problem(
                    code: .failedPrecondition, detail: "reload refused, the old configuration keeps serving: \(error)",
                    status: 422
                ).response(requestID: requestID)
            }
            loop.execute { box.value.respond(response) }
        }
    }
}
