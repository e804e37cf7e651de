import ArgumentParser
import SealboxAPI

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Scan a handler process for the plaintext of the secrets the daemon served it.",
        discussion: """
            For test suites on an ephemeral daemon. The daemon looks in the process's memory, its
            environment, the files it holds open and the temp files its user wrote since it started,
            for every secret it handed that pid. It prints where each one was found, never the value,
            and exits 1 if any was. Run as root or as the process's user.
            Example: sealbox inspect 4242
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The process id of the handler.")
    var pid: Int32

    func run() async throws {
        let report = try await global.daemon().native(
            .post, NativePath.testInspect, InspectRequest(pid: pid), answer: InspectionReport.self)
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
