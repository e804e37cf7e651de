import Foundation
import GRDB
import GRDBSQLite
import SealboxCrypto

/// The columns of a statement's current row, read through SQLite's C API.
///
/// Start-up decodes every parameter version, and GRDB's `Row` costs a generic decode, a type check
/// and often a `Data` per column. Text equal to the same column of the previous row is not decoded
/// again: metadata such as `tier` or `modified_by` repeats across thousands of rows, and repeats then
/// share one string's storage, which also makes comparing them cheap.
struct RowColumns {
    private let statement: SQLiteStatement
    private var previous: [String?]

    /// - Parameter statement: a statement that a cursor steps; read it only while it is on a row.
    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
        previous = Array(repeating: nil, count: statement.columnCount)
    }

    func isNull(_ column: Int) -> Bool {
        sqlite3_column_type(statement, Int32(column)) == SQLITE_NULL
    }

    func int(_ column: Int) -> Int {
        Int(sqlite3_column_int64(statement, Int32(column)))
    }

    func double(_ column: Int) -> Double {
        sqlite3_column_double(statement, Int32(column))
    }

    /// The column's bytes (text or blob) for the duration of `body`.
    func withBytes<Result>(_ column: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        // Ask for the pointer before the length: SQLite's documented order, as the pointer call may convert.
        let start = sqlite3_column_blob(statement, Int32(column))
        let count = Int(sqlite3_column_bytes(statement, Int32(column)))
        return try body(UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count))
    }

    func bytes(_ column: Int) -> [UInt8] {
        withBytes(column) { Array($0) }
    }

    /// The column's text; NULL reads as empty.
    mutating func text(_ column: Int) -> String {
        let start = sqlite3_column_text(statement, Int32(column))
        let count = Int(sqlite3_column_bytes(statement, Int32(column)))
        let bytes = UnsafeBufferPointer(start: start, count: start == nil ? 0 : count)
        if var last = previous[column],
            last.withUTF8({ UnsafeRawBufferPointer($0).sameBytes(as: UnsafeRawBufferPointer(bytes)) })
        {
            return last
        }
        let text = String(decoding: bytes, as: UTF8.self)
        previous[column] = text
        return text
    }

    mutating func optionalText(_ column: Int) -> String? {
        isNull(column) ? nil : text(column)
    }
}
