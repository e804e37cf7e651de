import ArgumentParser
import SealboxAPI

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
            let leases = try await global.daemon().native(.get, NativePath.leases, answer: LeaseList.self).leases
            try Output.table(
                global.output, json: leases, columns: ["lease id", "name", "version", "uses", "expires"],
                rows: leases.map { lease in
                    [
                        lease.leaseId, lease.name ?? "secret \(lease.secretId ?? "")",
                        lease.version.map(String.init) ?? lease.versionStage ?? lease.versionId ?? "",
                        "\(lease.uses)/\(lease.maxUses == 0 ? "unlimited" : String(lease.maxUses))",
                        Output.date(seconds: lease.expiresAt),
                    ]
                })
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke one lease, or every lease on parameter or secret names under a prefix.",
            discussion: """
                Example: sealbox lease revoke 3f9c2a...
                         sealbox lease revoke --prefix /app/db/
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "A lease id.")
        var leaseId: String?
        @Option(help: "Revoke every lease whose parameter or secret name starts with this.")
        var prefix: String?

        func validate() throws {
            guard (leaseId == nil) != (prefix == nil) else { throw ValidationError("give a lease id or --prefix") }
        }

        func run() async throws {
            let body = leaseId.map { RevokeLeasesRequest(leaseId: $0) } ?? RevokeLeasesRequest(prefix: prefix!)
            let result = try await global.daemon().native(
                .post, NativePath.revokeLeases, body, answer: RevokedCount.self)
            if let leaseId, result.revoked == 0 {
                throw CLIError(description: "no active lease \(leaseId)")
            }
            try Output.done(global.output, json: result, "revoked \(result.revoked) leases")
        }
    }
}
