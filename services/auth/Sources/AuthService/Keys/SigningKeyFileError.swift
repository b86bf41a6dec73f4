/// A signing key file could not be made or read.
package struct SigningKeyFileError: Error, CustomStringConvertible {
    package let message: String
    package let path: String

    init(_ message: String, path: String) {
        self.message = message
        self.path = path
    }

    package var description: String { "\(self.message): \(self.path)" }
}
