/// Limits the edge enforces before the pipeline sees a request (RELIABILITY.md cases 3, 9, 10).
package struct EdgeLimits: Sendable {
    /// Longest request target (path and query); longer is 414.
    package var maxTargetLength = 4096
    /// Most header fields in a request; more is 431.
    package var maxHeaderCount = 100
    /// Most bytes of header names and values together; more is 431.
    package var maxHeaderBytes = 32 * 1024
    /// Most body bytes read and dropped after an early answer (a 404 or 401 sent before the body)
    /// before the connection is closed instead.
    package var maxDiscardedBodyBytes = 1 << 20
    /// After a 413, body bytes read and dropped before the connection closes, so that a client
    /// still sending can read the answer.
    package var lingerAllowance = 16 << 20

    package init() {}

    package static var defaults: EdgeLimits { EdgeLimits() }
}
