/// The answer to `POST /v1/audit/verify`: whether every record's MAC, every chain's order and every
/// run's header and checkpoints check out, with every problem found.
package struct AuditVerification: Codable, Sendable, Equatable {
    /// One bad line.
    package struct Problem: Codable, Sendable, Equatable {
        /// Its line number, from 1.
        package var line: Int
        /// What is wrong with it.
        package var reason: String
        /// `torn`, `unclosed` or `legacy` (what a crash or an older daemon leaves, not failures), or
        /// `edited`, `malformed`, `chain`, `checkpoint`, `run` (tampering).
        package var kind: String?
        /// Whether it shows tampering.
        package var failure: Bool?
        /// Records that verified before its line.
        package var verifiedBefore: Int?

        /// - Parameters:
        ///   - line: the line number.
        ///   - reason: what is wrong.
        ///   - kind: the kind of problem.
        ///   - failure: whether it shows tampering.
        ///   - verifiedBefore: records verified before the line.
        package init(
            line: Int, reason: String, kind: String? = nil, failure: Bool? = nil, verifiedBefore: Int? = nil
        ) {
            self.line = line
            self.reason = reason
            self.kind = kind
            self.failure = failure
            self.verifiedBefore = verifiedBefore
        }
    }

    /// The log file, `-` for stderr.
    package var path: String
    /// Records whose MAC verified.
    package var verified: Int
    /// Whether nothing shows tampering (torn records and unclosed runs from crashes may remain).
    package var ok: Bool
    /// The first problem that shows tampering; absent when `ok`.
    package var problem: Problem?
    /// Every problem, failures and crash traces alike, in line order.
    package var problems: [Problem]?
    /// Lines that hold a record or a torn one.
    package var records: Int?

    /// - Parameters:
    ///   - path: the log file.
    ///   - verified: records verified.
    ///   - ok: whether the log verifies.
    ///   - problem: the first failure, nil when ok.
    ///   - problems: every problem.
    ///   - records: lines holding a record.
    package init(
        path: String, verified: Int, ok: Bool, problem: Problem?, problems: [Problem]? = nil, records: Int? = nil
    ) {
        self.path = path
        self.verified = verified
        self.ok = ok
        self.problem = problem
        self.problems = problems
        self.records = records
    }
}
