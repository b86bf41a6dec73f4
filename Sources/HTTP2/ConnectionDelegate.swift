/// Connection-level events of a `Connection`, delivered on its event loop.
package protocol ConnectionDelegate: AnyObject {
    /// Server role: a new stream's request head arrived. Return its handler, or nil to refuse it.
    func connection(
        _ connection: Connection, acceptStream stream: Stream, headers: [Header], endStream: Bool
    )
        -> (any StreamHandler)?
    /// The peer sent GOAWAY: open no new streams; streams above `lastStreamID` close as refused.
    func connection(_ connection: Connection, receivedGoAway lastStreamID: Int32, errorCode: ErrorCode)
    /// The peer's SETTINGS arrived (for instance a new max-concurrent-streams).
    func connectionReceivedSettings(_ connection: Connection)
    /// A stream closed and left the connection's count: room for another. (A call's answer
    /// arrives before its stream is closed, so a client waiting for a free stream learns it here.)
    func connectionStreamClosed(_ connection: Connection)
    /// The channel closed; every stream has been told.
    func connectionClosed(_ connection: Connection)
}

extension ConnectionDelegate {
    package func connection(
        _ connection: Connection, acceptStream stream: Stream, headers: [Header], endStream: Bool
    ) -> (any StreamHandler)? { nil }
    package func connection(_ connection: Connection, receivedGoAway lastStreamID: Int32, errorCode: ErrorCode) {}
    package func connectionReceivedSettings(_ connection: Connection) {}
    package func connectionStreamClosed(_ connection: Connection) {}
    package func connectionClosed(_ connection: Connection) {}
}
