/// Why a message could not be transcoded: a JSON pointer (RFC 6901) to the offending place and a message.
///
/// For JSON input the pointer addresses the request body (`/tags/3`); for wire input it addresses the JSON the
/// message would have become. The message is a constant or names schema elements only, never echoing input
/// values, so both go into a 400 problem body as they are: `"/tags/3: expected a string"`.
package struct TranscodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// RFC 6901 pointer; empty for the whole document.
    package var pointer: String
    package let message: String

    package init(_ message: String, pointer: String = "") {
        self.message = message
        self.pointer = pointer
    }

    /// `pointer: message`, or the message alone at the top.
    package var description: String { pointer.isEmpty ? message : "\(pointer): \(message)" }

    /// The same error one level further out, under `component` (escaped per RFC 6901).
    func under(_ component: String) -> TranscodingError {
        var copy = self
        let escaped = component.replacing("~", with: "~0").replacing("/", with: "~1")
        copy.pointer = "/" + escaped + pointer
        return copy
    }

    func under(_ index: Int) -> TranscodingError {
        var copy = self
        copy.pointer = "/\(index)" + pointer
        return copy
    }
}
