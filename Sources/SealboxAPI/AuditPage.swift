/// The answer to `GET /v1/audit`: complete audit lines, and where the next read starts.
package struct AuditPage: Codable, Sendable, Equatable {
    /// The lines, each one JSON audit record, without their newlines.
    package var lines: [String]
    /// The byte offset after the last line; pass it to ``NativePath/audit(offset:limit:)`` to follow.
    package var nextOffset: Int
    /// The log's size in bytes when it was read.
    package var size: Int

    /// - Parameters:
    ///   - lines: the lines.
    ///   - nextOffset: the offset after them.
    ///   - size: the log's size.
    package init(lines: [String], nextOffset: Int, size: Int) {
        self.lines = lines
        self.nextOffset = nextOffset
        self.size = size
    }
}
