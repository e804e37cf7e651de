import ArgumentParser

struct GrantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "Let a principal use one key for some operations: KMS grants.",
        discussion: """
            A grant lets its grantee principal (an AWS principal ARN, such as \
            arn:aws:iam::123456789012:role/app) use one key for the operations it lists, even where the \
            policy alone would refuse. Sealbox enforces it for the callers the config's `aws.principals` \
            maps that ARN to (uid:N, access-key:NAME...); see docs/api.md. A grant ends when its retiring \
            principal (or its grantee, if it lists RetireGrant) retires it, or when an admin revokes it.

            Example:
              sealbox grant create alias/app \\
                --grantee arn:aws:iam::123456789012:role/app \\
                --operations Encrypt,Decrypt --encryption-context-subset app=billing
              sealbox grant list alias/app
              sealbox grant revoke alias/app GRANT_ID
            """,
        subcommands: [Create.self, List.self, Retire.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a grant on a key; prints its id and token.",
            discussion: """
                Operations are those of a KMS grant: Encrypt, Decrypt, GenerateDataKey, \
                GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, DescribeKey, CreateGrant, \
                RetireGrant, GenerateMac, VerifyMac... and must suit the key (no Encrypt on an HMAC key). \
                A constraint makes the grant count only for requests whose encryption context includes \
                (subset) or is exactly (equals) the pairs given; symmetric keys only. With --name, running \
                the same command again returns the same grant instead of a second one.

                Examples:
                  sealbox grant create KEY_ID --operations Decrypt \\
                    --grantee arn:aws:iam::123456789012:role/app
                  sealbox grant create KEY_ID --operations GenerateDataKey,Decrypt \\
                    --grantee arn:aws:iam::123456789012:role/app \\
                    --retiring-principal arn:aws:iam::123456789012:role/ops \\
                    --encryption-context-equals tenant=42 --name app-tenant-42
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key id, key ARN or alias (an alias is looked up with DescribeKey).")
        var key: String
        @Option(help: "The grantee: an AWS principal ARN, or a service principal.")
        var grantee: String
        @Option(help: "Comma-separated grant operations, e.g. Encrypt,Decrypt.")
        var operations: String
        @Option(help: "The principal that may retire the grant (an AWS principal ARN).")
        var retiringPrincipal: String?
        @Option(help: "A name that makes the command idempotent (letters, digits, :/_-).")
        var name: String?
        @Option(help: "KEY=VALUE a request's encryption context must include; repeat for more pairs.")
        var encryptionContextSubset: [String] = []
        @Option(help: "KEY=VALUE a request's encryption context must consist of; repeat for more pairs.")
        var encryptionContextEquals: [String] = []

        func validate() throws {
            if !encryptionContextSubset.isEmpty && !encryptionContextEquals.isEmpty {
                throw ValidationError(
                    "Give --encryption-context-subset or --encryption-context-equals, not both: a grant has one constraint."
                )
            }
            for pair in encryptionContextSubset + encryptionContextEquals where !pair.contains("=") {
                throw ValidationError("'\(pair)' is not KEY=VALUE.")
            }
        }

        func run() async throws {
            let daemon = global.daemon()
            var body: [String: Any] = [
                "KeyId": try await GrantCommand.keyID(daemon, key), "GranteePrincipal": grantee,
                "Operations": operations.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
            ]
            if let retiringPrincipal { body["RetiringPrincipal"] = retiringPrincipal }
            if let name { body["Name"] = name }
            if !encryptionContextSubset.isEmpty {
                body["Constraints"] = ["EncryptionContextSubset": GrantCommand.pairs(encryptionContextSubset)]
            } else if !encryptionContextEquals.isEmpty {
                body["Constraints"] = ["EncryptionContextEquals": GrantCommand.pairs(encryptionContextEquals)]
            }
            let created = try await daemon.aws("TrentService.CreateGrant", body)
            try Output.fields(
                global.output, json: created,
                [("Grant id", Output.text(created["GrantId"])), ("Grant token", Output.text(created["GrantToken"]))])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a key's grants, or every grant a principal may retire.",
            discussion: """
                Examples:
                  sealbox grant list alias/app
                  sealbox grant list KEY_ID --grantee arn:aws:iam::123456789012:role/app
                  sealbox grant list --retiring-principal arn:aws:iam::123456789012:role/ops
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key id, key ARN or alias; omit it with --retiring-principal.")
        var key: String?
        @Option(help: "Only grants to this grantee principal.")
        var grantee: String?
        @Option(help: "Only the grant with this id.")
        var grantId: String?
        @Option(help: "Every grant, on any key, that this principal may retire (ListRetirableGrants).")
        var retiringPrincipal: String?

        func validate() throws {
            if (key == nil) == (retiringPrincipal == nil) {
                throw ValidationError("Give a key, or --retiring-principal.")
            }
            if retiringPrincipal != nil && (grantee != nil || grantId != nil) {
                throw ValidationError(
                    "--grantee and --grant-id filter a key's grants; they do not go with --retiring-principal.")
            }
        }

        func run() async throws {
            let daemon = global.daemon()
            let grants: [[String: Any]]
            if let retiringPrincipal {
                grants = try await daemon.awsAll(
                    "TrentService.ListRetirableGrants", ["RetiringPrincipal": retiringPrincipal, "Limit": 100],
                    items: "Grants")
            } else {
                var body: [String: Any] = ["KeyId": try await GrantCommand.keyID(daemon, key!), "Limit": 100]
                if let grantee { body["GranteePrincipal"] = grantee }
                if let grantId { body["GrantId"] = grantId }
                grants = try await daemon.awsAll("TrentService.ListGrants", body, items: "Grants")
            }
            try Output.table(
                global.output, json: grants, columns: ["grant id", "grantee", "operations", "constraint", "retiring"],
                rows: grants.map { grant in
                    [
                        Output.text(grant["GrantId"]), Output.text(grant["GranteePrincipal"]),
                        (grant["Operations"] as? [String] ?? []).joined(separator: ","),
                        GrantCommand.constraint(grant["Constraints"]), Output.text(grant["RetiringPrincipal"]),
                    ]
                })
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire a grant, as its retiring principal or (if it lists RetireGrant) its grantee.",
            discussion: """
                Name the grant by its key and id, or by the token CreateGrant returned. A caller the \
                policy grants kms:RetireGrant on the key may retire any of its grants.

                Examples:
                  sealbox grant retire KEY_ID GRANT_ID
                  sealbox grant retire --token GRANT_TOKEN
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key id, key ARN or alias, then the grant id; omit both with --token.")
        var grant: [String] = []
        @Option(help: "The grant token CreateGrant returned.")
        var token: String?

        func validate() throws {
            if token == nil ? grant.count != 2 : !grant.isEmpty {
                throw ValidationError("Give KEY GRANT_ID, or --token TOKEN.")
            }
        }

        func run() async throws {
            let daemon = global.daemon()
            var body: [String: Any] = [:]
            if let token {
                body["GrantToken"] = token
            } else {
                body["KeyId"] = try await GrantCommand.keyID(daemon, grant[0])
                body["GrantId"] = grant[1]
            }
            let result = try await daemon.aws("TrentService.RetireGrant", body)
            try Output.done(global.output, json: result, "retired \(token == nil ? grant[1] : "the grant")")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a grant: an admin's way to end it (needs kms:RevokeGrant on the key).",
            discussion: "Example: sealbox grant revoke alias/app GRANT_ID")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key id, key ARN or alias.")
        var key: String
        @Argument(help: "The grant id (sealbox grant list shows it).")
        var grantId: String

        func run() async throws {
            let daemon = global.daemon()
            let id = try await GrantCommand.keyID(daemon, key)
            let result = try await daemon.aws("TrentService.RevokeGrant", ["KeyId": id, "GrantId": grantId])
            try Output.done(global.output, json: result, "revoked \(grantId)")
        }
    }

    /// The key id for an alias (grant operations take a key id or ARN, as in AWS); anything else as given.
    static func keyID(_ daemon: DaemonClient, _ reference: String) async throws -> String {
        reference.hasPrefix("alias/") || reference.contains(":alias/")
            ? try await KeyCommand.keyID(daemon, reference) : reference
    }

    /// `KEY=VALUE` arguments as an encryption context; the value may itself contain `=`.
    static func pairs(_ arguments: [String]) -> [String: String] {
        var context: [String: String] = [:]
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            context[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return context
    }

    /// A grant's constraint as one cell: `subset{k=v,...}` or `equals{...}`, or `-`.
    static func constraint(_ value: Any?) -> String {
        guard let constraints = value as? [String: Any] else { return "-" }
        for (name, kind) in [("EncryptionContextSubset", "subset"), ("EncryptionContextEquals", "equals")] {
            if let pairs = constraints[name] as? [String: String] {
                return "\(kind){"
                    + pairs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                    + "}"
            }
        }
        return "-"
    }
}
