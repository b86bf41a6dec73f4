package import SQLKit

/// One versioned schema change. Versions are positive, increase through a service's list, and
/// never change once shipped; `up` runs inside a transaction and must only use SQL that both
/// dialects understand (or branch on `database.dialect.name`).
package struct Migration: Sendable {
    package var version: Int
    package var name: String
    package var up: @Sendable (any SQLDatabase) async throws -> Void

    package init(version: Int, name: String, up: @escaping @Sendable (any SQLDatabase) async throws -> Void) {
        self.version = version
        self.name = name
        self.up = up
    }

    /// A migration made of SQL statements run in order.
    package init(version: Int, name: String, statements: [String]) {
        self.init(version: version, name: name) { database in
            for statement in statements {
                try await database.raw(SQLQueryString(statement)).run()
            }
        }
    }
}

/// Why migrations could not run.
package struct MigrationError: Error, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { self.message }
}
