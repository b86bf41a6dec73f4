import Foundation
package import Logging

extension Logger {
    /// A logger for tests: quiet (critical) unless `HALO_TEST_LOG_LEVEL` says otherwise.
    package static func test(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel =
            ProcessInfo.processInfo.environment["HALO_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? .critical
        return logger
    }
}
