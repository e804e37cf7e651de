/// The answer to `POST /v1/audit/verify`: whether every record's MAC and every chain's order check out.
package struct AuditVerification: Codable, Sendable, Equatable {
    /// The first bad record.
    package struct Problem: Codable, Sendable, Equatable {
        /// Its line number, from 1.
        package var line: Int
        /// What is wrong with it.
        package var reason: String

        /// - Parameters:
        ///   - line: the line number.
        ///   - reason: what is wrong.
        package init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// The log file, `-` for stderr.
    package var path: String
    /// Records verified (before the problem, if there is one).
    package var verified: Int
    /// Whether the whole log verifies.
    package var ok: Bool
    /// The first bad record; absent when `ok`.
    package var problem: Problem?

    /// - Parameters:
    ///   - path: the log file.
    ///   - verified: records verified.
    ///   - ok: whether the log verifies.
    ///   - problem: the first bad record, nil when ok.
    package init(path: String, verified: Int, ok: Bool, problem: Problem?) {
        self.path = path
        self.verified = verified
        self.ok = ok
        self.problem = problem
    }
}
