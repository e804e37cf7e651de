import ArgumentParser

struct LeaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease",
        abstract: "See and revoke the leases handlers hold.",
        subcommands: [List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List active leases (needs admin:ListLeases).", discussion: "Example: sealbox lease list")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let leases = try await global.daemon().native(.GET, "/v1/leases")["leases"] as? [[String: Any]] ?? []
            try Output.table(
                global.output, json: leases, columns: ["lease id", "name", "version", "uses", "expires"],
                rows: leases.map { lease in
                    let maxUses = lease["maxUses"] as? Int ?? 0
                    return [
                        Output.text(lease["leaseId"]), Output.text(lease["name"]), Output.text(lease["version"]),
                        "\(Output.text(lease["uses"]))/\(maxUses == 0 ? "unlimited" : String(maxUses))",
                        Output.date(lease["expiresAt"]),
                    ]
                })
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke one lease, or every lease on names under a prefix.",
            discussion: """
                Example: sealbox lease revoke 3f9c2a...
                         sealbox lease revoke --prefix /app/db/
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "A lease id.")
        var leaseId: String?
        @Option(help: "Revoke every lease whose name starts with this.")
        var prefix: String?

        func validate() throws {
            guard (leaseId == nil) != (prefix == nil) else { throw ValidationError("give a lease id or --prefix") }
        }

        func run() async throws {
            let body: [String: Any] = leaseId.map { ["leaseId": $0] } ?? ["prefix": prefix!]
            let result = try await global.daemon().native(.POST, "/v1/leases/revoke", body)
            if let leaseId, result["revoked"] as? Int == 0 {
                throw CLIError(description: "no active lease \(leaseId)")
            }
            try Output.done(global.output, json: result, "revoked \(Output.text(result["revoked"])) leases")
        }
    }
}
