import NIOCore

/// Collects the single response message of a unary call.
final class UnaryCollector {
    private var message: ByteBuffer?
    private var extra = false

    func received(_ message: ByteBuffer) {
        if self.message == nil { self.message = message } else { self.extra = true }
    }

    /// The response of a call the server ended with OK: exactly one message, or a protocol failure.
    func result(initial: Metadata, trailing: Metadata) -> RawUnaryResult {
        guard let message = self.message, !self.extra else {
            let error = RPCError(
                code: .internal,
                message: self.message == nil
                    ? "the server sent no response message" : "the server sent more than one response message")
            return .failure(CallFailure(error, origin: .local, processing: .mayHaveBeenProcessed))
        }
        return .success(UnaryResponse(message: message, initialMetadata: initial, trailingMetadata: trailing))
    }
}
