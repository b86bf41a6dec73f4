package import HTTP2
package import NIOCore

extension Subchannel {
    /// Starts a pass-through call on this connection: `path` is `/package.Service/Method`,
    /// `headers` the request's fields without pseudo-headers (this connection's `:authority` is
    /// used). Nil when there is no free stream: nothing was sent and the delegate hears nothing.
    package func passThroughCall(
        path: String, headers: [Header], deadline: NIODeadline?, delegate: any PassThroughCallDelegate
    ) -> PassThroughCall? {
        guard let connection = self.machine.readyConnection, self.hasCapacity else { return nil }
        let call = PassThroughCall(eventLoop: self.eventLoop, delegate: delegate)
        guard call.start(on: connection, path: path, authority: self.authority, headers: headers, deadline: deadline)
        else { return nil }
        self.callStarted(background: false)
        call.subchannel = self
        return call
    }
}
