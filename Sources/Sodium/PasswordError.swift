/// Why a password could not be hashed or checked.
package struct PasswordError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A small set of error kinds.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case tooShort, tooLong, invalidConfiguration, hashingFailed
        }
        private let wrapped: Wrapped

        /// Fewer characters than the policy allows; rejected before hashing.
        package static let tooShort = Code(wrapped: .tooShort)
        /// More characters than the policy allows; rejected before hashing.
        package static let tooLong = Code(wrapped: .tooLong)
        /// Hashing parameters below the minimum or beyond libsodium's limits.
        package static let invalidConfiguration = Code(wrapped: .invalidConfiguration)
        /// libsodium could not hash (typically it could not allocate the memory cost).
        package static let hashingFailed = Code(wrapped: .hashingFailed)

        package var description: String { String(describing: wrapped) }
    }

    /// The kind of failure.
    package let code: Code
    /// A constant, human-readable explanation; never contains the password.
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
