import ArgumentParser
import Foundation
import SealboxAPI

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and verify the daemon's hash-chained audit log.",
        subcommands: [Tail.self, Verify.self])

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the last records, and with --follow keep showing new ones.",
            discussion: "Example: sealbox audit tail -n 50 --follow")

        @OptionGroup var global: GlobalOptions
        @Option(name: [.customShort("n"), .customLong("lines")], help: "How many records to show first.")
        var lines = 20
        @Flag(name: .shortAndLong, help: "Keep printing records as they are written (Ctrl-C stops).")
        var follow = false

        func run() async throws {
            let daemon = global.daemon()
            var page = try await daemon.native(.get, NativePath.audit(tail: max(1, lines)), answer: AuditPage.self)
            while true {
                for line in page.lines { show(line) }
                // Into a pipe too, so `audit tail --follow | grep` shows records as they come.
                fflush(nil)
                guard follow else { return }
                try await Task.sleep(for: .milliseconds(500))
                page = try await daemon.native(
                    .get, NativePath.audit(offset: page.nextOffset, limit: 1000), answer: AuditPage.self)
            }
        }

        /// Every field, and a line printed whole, goes through ``TerminalText/escaped(_:)``.
        private func show(_ line: String) {
            guard global.output == .table,
                let record = try? JSONDecoder().decode(AuditRecordSummary.self, from: Data(line.utf8))
            else {
                print(TerminalText.escaped(line))
                return
            }
            let principal = (record.principal ?? [:])
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text)" }.joined(separator: ",")
            let resources = (record.resources ?? []).joined(separator: ",")
            var result = record.result ?? "-"
            if let suppressed = record.suppressed { result += " (\(suppressed) more)" }
            print(
                TerminalText.escaped(
                    [
                        Output.date(seconds: record.time), record.action ?? "-", result, principal,
                        resources,
                    ].joined(separator: "  ")))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record's MAC, every chain's order and every run's checkpoints; list every problem.",
            discussion: """
                Exits 1 when anything shows tampering (an edited, deleted, added or moved record). A record \
                torn by a crash, and a run that ended without its final checkpoint, are listed as notes \
                and do not fail. Example: sealbox audit verify
                """)

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let report = try await global.daemon().native(
                .post, NativePath.auditVerify, answer: AuditVerification.self)
            if global.output == .json { try Output.printJSON(report) }
            let problems = report.problems ?? report.problem.map { [$0] } ?? []
            guard report.ok else {
                let first = report.problem ?? problems.first
                let line = first.map { String($0.line) } ?? "-"
                let failures = problems.filter { $0.failure != false }.count
                let lines =
                    [
                        "\(report.path) line \(line): \(first?.reason ?? "-") (\(first?.verifiedBefore ?? report.verified) records verified before it)",
                        "\(failures) problem(s) show tampering; \(report.verified) records verify. Every problem:",
                    ] + problems.map { "  " + Self.describe($0) }
                throw CLIError(description: lines.map(TerminalText.escaped).joined(separator: "\n"))
            }
            if global.output == .table {
                print("OK: \(report.verified) records in \(report.path) verified")
                for problem in problems { print(TerminalText.escaped("note: " + Self.describe(problem))) }
            }
        }

        static func describe(_ problem: AuditVerification.Problem) -> String {
            "line \(problem.line) [\(problem.kind ?? "problem")]: \(problem.reason)"
        }
    }
}
