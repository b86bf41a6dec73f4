/// Why a JSON text was refused, and where.
///
/// The message is a constant that never echoes the input, so it can go into a problem body or a log as is;
/// `offset` is the byte offset in the input at which the tokenizer stopped.
package struct JSONError: Error, Equatable, Sendable {
    package let message: String
    package let offset: Int

    package init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }
}
