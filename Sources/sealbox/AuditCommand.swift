import ArgumentParser
import Foundation

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
            var page = try await daemon.native(.GET, "/v1/audit?tail=\(max(1, lines))")
            while true {
                for line in page["lines"] as? [String] ?? [] { try show(line) }
                // Into a pipe too, so `audit tail --follow | grep` shows records as they come.
                fflush(nil)
                guard follow else { return }
                let offset = page["nextOffset"] as? Int ?? 0
                try await Task.sleep(for: .milliseconds(500))
                page = try await daemon.native(.GET, "/v1/audit?offset=\(offset)&limit=1000")
            }
        }

        private func show(_ line: String) throws {
            guard global.output == .table,
                let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else {
                print(line)
                return
            }
            let principal = (record["principal"] as? [String: Any] ?? [:])
                .sorted { $0.key < $1.key }.map { "\($0.key)=\(Output.text($0.value))" }.joined(separator: ",")
            let resources = (record["resources"] as? [String] ?? []).joined(separator: ",")
            print(
                [
                    Output.date(record["time"]), Output.text(record["action"]), Output.text(record["result"]),
                    principal,
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
            let report = try await global.daemon().native(.POST, "/v1/audit/verify")
            if global.output == .json { try Output.printJSON(report) }
            guard report["ok"] as? Bool == true else {
                let problem = report["problem"] as? [String: Any] ?? [:]
                throw CLIError(
                    description:
                        "\(Output.text(report["path"])) line \(Output.text(problem["line"])): \(Output.text(problem["reason"])) (\(Output.text(report["verified"])) records verified before it)"
                )
            }
            if global.output == .table {
                print("OK: \(Output.text(report["verified"])) records in \(Output.text(report["path"])) verify")
            }
        }
    }
}
