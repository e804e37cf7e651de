import ArgumentParser
import Foundation
import SealboxAPI

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Scan a handler process for the plaintext of the secrets the daemon served it.",
        discussion: """
            On any daemon. The daemon looks in the process's memory, its environment, the files it
            holds open and the temp files its user wrote since it started, for every secret it handed
            that process. It prints where each one was found, never the value. Exit status: 0 clean,
            1 a secret was found, 2 the scan could not be made (no such process, not allowed). A
            process's own user may inspect it; anyone else needs admin:Inspect.
            Example: sealbox inspect 4242
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The process id of the handler.")
    var pid: Int32

    func run() async throws {
        let report: InspectionReport
        do {
            report = try await global.daemon().native(
                .post, NativePath.testInspect, InspectRequest(pid: pid), answer: InspectionReport.self)
        } catch let error as CLIError {
            // 1 means "found": a scan that could not be made must not read as either answer.
            FileHandle.standardError.write(Data("sealbox: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let findings = report.findings
        if global.output == .json {
            try Output.printJSON(report)
        } else if report.secretsChecked == 0 {
            print("nothing to look for: the daemon served no secret to process \(pid)")
        } else if findings.isEmpty {
            print("clean: no served secret found in process \(pid) (\(report.bytesScanned) bytes scanned)")
        } else {
            try Output.table(
                .table, json: findings, columns: ["secret", "found in", "form"],
                rows: findings.map { [$0.secret, $0.location, $0.form] })
        }
        if !report.skipped.isEmpty, global.output == .table {
            print("not scanned (shorter than 4 bytes): \(report.skipped.joined(separator: ", "))")
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }
}
