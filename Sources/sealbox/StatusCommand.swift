import ArgumentParser
import SealboxAPI

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the daemon's version, uptime, counts, root key source and audit state.",
        discussion: "Example: sealbox status --output json")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let status = try await global.daemon().native(.get, NativePath.status, answer: StatusResponse.self)
        let audit = status.audit
        let auditText =
            audit.enabled ? "on, \(audit.path ?? "-") (\(audit.writeFailures) write failures)" : "off"
        let uptime = status.uptimeSeconds
        try Output.fields(
            global.output, json: status,
            [
                ("Version", status.version),
                ("Uptime", "\(uptime / 3600)h \(uptime % 3600 / 60)m \(uptime % 60)s"),
                ("Mode", status.ephemeral ? "ephemeral (in memory)" : "persistent"),
                ("Keys", String(status.keys)),
                ("Parameters", String(status.parameters)),
                ("Secrets", status.secrets.map(String.init) ?? "not served"),
                ("Active leases", String(status.leases)),
                ("Root key", status.rootKey),
                ("Store", status.store.map { "\($0) (\(status.storeHealth ?? "ok"))" }),
                ("Audit log", auditText),
                ("Socket", global.socketPath),
            ])
    }
}
