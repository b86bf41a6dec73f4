/// A configuration value that cannot be used, named by where it came from.
package struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The environment variable (or setting) at fault, e.g. `HALO_VIDEO_PORT`.
    package var key: String
    /// What is wrong with it, for the operator.
    package var message: String

    package init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    package var description: String { "\(self.key): \(self.message)" }
}
