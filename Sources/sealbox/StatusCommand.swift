import ArgumentParser

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the daemon's version, uptime, counts, root key source and audit state.",
        discussion: "Example: sealbox status --output json")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let status = try await global.daemon().native(.GET, "/v1/status")
        let audit = status["audit"] as? [String: Any] ?? [:]
        let auditText: String
        if audit["enabled"] as? Bool == true {
            let failures = Output.text(audit["writeFailures"])
            auditText = "on, \(Output.text(audit["path"])) (\(failures) write failures)"
        } else {
            auditText = "off"
        }
        let uptime = (status["uptimeSeconds"] as? Int).map { "\($0 / 3600)h \($0 % 3600 / 60)m \($0 % 60)s" }
        try Output.fields(
            global.output, json: status,
            [
                ("Version", Output.text(status["version"])),
                ("Uptime", uptime),
                ("Mode", status["ephemeral"] as? Bool == true ? "ephemeral (in memory)" : "persistent"),
                ("Keys", Output.text(status["keys"])),
                ("Parameters", Output.text(status["parameters"])),
                ("Active leases", Output.text(status["leases"])),
                ("Root key", Output.text(status["rootKey"])),
                ("Audit log", auditText),
                ("Socket", global.socketPath),
            ])
    }
}
