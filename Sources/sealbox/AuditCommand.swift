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

        private func show(_ line: String) {
            guard global.output == .table,
                let record = try? JSONDecoder().decode(AuditRecordSummary.self, from: Data(line.utf8))
            else {
                print(line)
                return
            }
            let principal = (record.principal ?? [:])
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text)" }.joined(separator: ",")
            let resources = (record.resources ?? []).joined(separator: ",")
            print(
                [
                    Output.date(seconds: record.time), record.action ?? "-", record.result ?? "-", principal,
                    resources,
                ].joined(separator: "  "))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record's MAC and every chain's order; exit 1 at the first bad record.",
            discussion: "Example: sealbox audit verify")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let report = try await global.daemon().native(
                .post, NativePath.auditVerify, answer: AuditVerification.self)
            if global.output == .json { try Output.printJSON(report) }
            guard report.ok else {
                let line = report.problem.map { String($0.line) } ?? "-"
                throw CLIError(
                    description:
                        "\(report.path) line \(line): \(report.problem?.reason ?? "-") (\(report.verified) records verified before it)"
                )
            }
            if global.output == .table {
                print("OK: \(report.verified) records in \(report.path) verify")
            }
        }
    }
}
