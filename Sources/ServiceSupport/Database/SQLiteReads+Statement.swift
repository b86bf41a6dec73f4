import CallerIdentity
package import Foundation
import Synchronization
import VaporCSQLite

extension SQLiteReads {
    /// A statement's text and identity: each connection prepares it once, on first use, and keeps it.
    /// Make one per statement (a `static let`), not one per call.
    package struct Query: Sendable {
        let id: Int
        let sql: String

        package init(_ sql: String) {
            self.id = Self.ids.add(1, ordering: .relaxed).newValue
            self.sql = sql
        }

        private static let ids = Atomic<Int>(0)
    }

    /// A value bound to a `?` parameter, in order.
    package enum Bind: Sendable {
        case text(String)
        case integer(Int64)
        case bool(Bool)
        /// Bound as its lower-case hyphenated text, as Halo stores ids.
        case uuid(UUID)
    }

    /// The current row of a running statement; valid only inside the decode closure that receives it.
    /// Columns are numbered from 0, in the order of the statement's result columns.
    package struct Row {
        let statement: OpaquePointer

        /// An INTEGER column (0 for NULL).
        package func int64(_ column: Int32) -> Int64 {
            sqlite_nio_sqlite3_column_int64(self.statement, column)
        }

        /// A BOOLEAN column, stored as 0 or 1.
        package func bool(_ column: Int32) -> Bool {
            sqlite_nio_sqlite3_column_int64(self.statement, column) != 0
        }

        /// A TEXT column ("" for NULL).
        package func string(_ column: Int32) -> String {
            self.withText(column) { String(decoding: $0, as: UTF8.self) }
        }

        /// A TEXT column holding a hyphenated UUID; nil if it does not hold one.
        package func uuid(_ column: Int32) -> UUID? {
            self.withText(column) { UUID(hyphenatedUTF8: $0) }
        }

        /// A TEXT column's UTF-8 bytes, valid only inside `body`.
        package func withText<Result>(
            _ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
        ) rethrows
            -> Result
        {
            // Text first, then its length: the documented order that leaves the pointer valid.
            let text = sqlite_nio_sqlite3_column_text(self.statement, column)
            let count = Int(sqlite_nio_sqlite3_column_bytes(self.statement, column))
            return try body(UnsafeBufferPointer(start: count > 0 ? text : nil, count: text == nil ? 0 : count))
        }
    }
}
