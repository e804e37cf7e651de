import ArgumentParser
import Foundation
import SealboxCrypto

struct SecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Store and read Secrets Manager secrets (versions, staging labels, rotation, deletion).",
        discussion: """
            A secret has versions; each carries staging labels. AWSCURRENT is the version readers get, \
            AWSPREVIOUS the one before it. Values are read from stdin only, never from the command line, \
            where other users could see them in the process list:

              printf '%s' '{"user":"app","password":"s3cr3t"}' | sealbox secret create prod/db
              sealbox secret get prod/db --value-only
            """,
        subcommands: [
            Create.self, Get.self, Put.self, List.self, Describe.self, Rotate.self, Delete.self, Restore.self,
        ])

    /// The `SecretString` or `SecretBinary` member for a value read from stdin.
    static func value(binary: Bool, prompt: String) throws -> (String, String) {
        if binary {
            let bytes =
                isatty(STDIN_FILENO) == 1
                ? Array(try SecretInput.read(file: nil, prompt: prompt).utf8)
                : Array(FileHandle.standardInput.readDataToEndOfFile())
            guard !bytes.isEmpty else { throw CLIError(description: "no value on stdin") }
            return ("SecretBinary", Base64.encode(bytes))
        }
        return ("SecretString", try SecretInput.read(file: nil, prompt: prompt))
    }

    /// `VersionIdsToStages` (or `SecretVersionsToStages`) as `id: LABEL,LABEL` lines, current first.
    static func versions(_ map: Any?) -> String {
        let versions = (map as? [String: [String]] ?? [:]).sorted { left, right in
            (left.value.contains("AWSCURRENT") ? 0 : 1, left.key) < (
                right.value.contains("AWSCURRENT") ? 0 : 1, right.key
            )
        }
        return versions.map { "\($0.key) (\($0.value.joined(separator: ",")))" }.joined(separator: "; ")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a secret; its first value (AWSCURRENT) comes from stdin.",
            discussion: """
                The value is a SecretString (often JSON), or with --binary the raw bytes of stdin as a \
                SecretBinary. It is sealed under --kms-key-id (default alias/aws/secretsmanager).

                Example: printf '%s' "$PASSWORD" | sealbox secret create prod/db --description "database login"
                         sealbox secret create prod/tls-key --binary --tag team=payments < key.der
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The name: letters, digits and -/_+=.@!, such as prod/db.")
        var name: String
        @Option(help: "A description.")
        var description: String?
        @Option(help: "The KMS key that seals the values (an id, ARN or alias).")
        var kmsKeyId: String?
        @Option(help: "A tag as key=value; repeat for more.")
        var tag: [String] = []
        @Flag(help: "Store stdin's bytes as a SecretBinary instead of a SecretString.")
        var binary = false

        func validate() throws {
            for item in tag where !item.contains("=") { throw ValidationError("--tag takes key=value, not '\(item)'") }
        }

        func run() async throws {
            let (member, value) = try SecretCommand.value(binary: binary, prompt: "Value for \(name)")
            var body: [String: Any] = ["Name": name, member: value]
            if let description { body["Description"] = description }
            if let kmsKeyId { body["KmsKeyId"] = kmsKeyId }
            if !tag.isEmpty {
                body["Tags"] = tag.map { item -> [String: String] in
                    let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    return ["Key": String(parts[0]), "Value": String(parts[1])]
                }
            }
            let result = try await global.daemon().aws("secretsmanager.CreateSecret", body)
            try Output.done(
                global.output, json: result,
                "created \(Output.text(result["Name"])): version \(Output.text(result["VersionId"])) (AWSCURRENT)")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a secret's value: AWSCURRENT, or another version or label.",
            discussion: """
                --value-only prints just the value (a SecretBinary's raw bytes), for a pipe:
                  sealbox secret get prod/db --value-only | jq -r .password
                Example: sealbox secret get prod/db --version-stage AWSPREVIOUS
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The secret's name or ARN.")
        var secretId: String
        @Option(help: "A version id.")
        var versionId: String?
        @Option(help: "A staging label, such as AWSPREVIOUS (default AWSCURRENT).")
        var versionStage: String?
        @Flag(help: "Print only the value, with no trailing newline.")
        var valueOnly = false

        func run() async throws {
            var body: [String: Any] = ["SecretId": secretId]
            if let versionId { body["VersionId"] = versionId }
            if let versionStage { body["VersionStage"] = versionStage }
            let result = try await global.daemon().aws("secretsmanager.GetSecretValue", body)
            let binary = (result["SecretBinary"] as? String).flatMap { try? Base64.decode(Array($0.utf8)) }
            if valueOnly {
                FileHandle.standardOutput.write(Data(binary ?? Array((result["SecretString"] as? String ?? "").utf8)))
                return
            }
            try Output.fields(
                global.output, json: result,
                [
                    ("Name", Output.text(result["Name"])), ("ARN", Output.text(result["ARN"])),
                    ("VersionId", Output.text(result["VersionId"])),
                    ("Stages", (result["VersionStages"] as? [String] ?? []).joined(separator: ",")),
                    ("Created", Output.date(result["CreatedDate"])),
                    (
                        "Value",
                        binary.map { "(SecretBinary, \($0.count) bytes: use --value-only or -o json)" }
                            ?? Output.text(result["SecretString"])
                    ),
                ])
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a version from stdin; it becomes AWSCURRENT unless --stage says otherwise.",
            discussion: """
                The version that had AWSCURRENT keeps AWSPREVIOUS, so readers can fall back to it. \
                --stage puts other labels on the new version instead (repeat it for more), for example \
                AWSPENDING while a new password is being tested.

                Example: printf '%s' "$NEW_PASSWORD" | sealbox secret put prod/db
                         printf '%s' "$NEXT" | sealbox secret put prod/db --stage AWSPENDING
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The secret's name or ARN.")
        var secretId: String
        @Option(help: "A staging label for the new version; repeat for more (default AWSCURRENT).")
        var stage: [String] = []
        @Flag(help: "Store stdin's bytes as a SecretBinary instead of a SecretString.")
        var binary = false

        func run() async throws {
            let (member, value) = try SecretCommand.value(binary: binary, prompt: "New value for \(secretId)")
            var body: [String: Any] = ["SecretId": secretId, member: value]
            if !stage.isEmpty { body["VersionStages"] = stage }
            let result = try await global.daemon().aws("secretsmanager.PutSecretValue", body)
            try Output.done(
                global.output, json: result,
                "\(Output.text(result["Name"])): version \(Output.text(result["VersionId"])) "
                    + "(\((result["VersionStages"] as? [String] ?? []).joined(separator: ",")))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List secrets (names and metadata, never values).",
            discussion: """
                Secrets scheduled for deletion are left out unless --include-deleted.
                Example: sealbox secret list --prefix prod/
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "Only names that start with this.")
        var prefix: String?
        @Flag(help: "Include secrets scheduled for deletion.")
        var includeDeleted = false

        func run() async throws {
            var body: [String: Any] = ["MaxResults": 100, "IncludePlannedDeletion": includeDeleted]
            if let prefix { body["Filters"] = [["Key": "name", "Values": [prefix]]] }
            let secrets = try await global.daemon().awsAll("secretsmanager.ListSecrets", body, items: "SecretList")
            try Output.table(
                global.output, json: secrets, columns: ["name", "description", "changed", "deletion"],
                rows: secrets.map {
                    [
                        Output.text($0["Name"]), Output.text($0["Description"]), Output.date($0["LastChangedDate"]),
                        $0["DeletedDate"] == nil ? "" : "scheduled",
                    ]
                })
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a secret's metadata: key, versions and their labels, tags, deletion (never values).",
            discussion: "Example: sealbox secret describe prod/db")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The secret's name or ARN.")
        var secretId: String

        func run() async throws {
            let result = try await global.daemon().aws("secretsmanager.DescribeSecret", ["SecretId": secretId])
            let tags = (result["Tags"] as? [[String: String]] ?? []).map { "\($0["Key"] ?? "")=\($0["Value"] ?? "")" }
            try Output.fields(
                global.output, json: result,
                [
                    ("Name", Output.text(result["Name"])), ("ARN", Output.text(result["ARN"])),
                    ("Description", result["Description"].map(Output.text)),
                    ("KMS key", Output.text(result["KmsKeyId"] ?? "alias/aws/secretsmanager")),
                    ("Created", Output.date(result["CreatedDate"])),
                    ("Changed", Output.date(result["LastChangedDate"])),
                    ("Rotation", result["RotationEnabled"] as? Bool == true ? "enabled" : "off"),
                    ("Versions", SecretCommand.versions(result["VersionIdsToStages"])),
                    ("Tags", tags.isEmpty ? nil : tags.joined(separator: ", ")),
                    ("Deletion", result["DeletedDate"].map { "scheduled for \(Output.date($0))" }),
                ])
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate a secret now, and optionally set its rotation function and schedule.",
            discussion: """
                Rotation makes a new version (AWSPENDING) through the rotation Lambda, tests it, then moves \
                AWSCURRENT onto it. --every-days or --schedule sets when it rotates again; with \
                --no-rotate-immediately the schedule is set and the first rotation waits for it.

                Example: sealbox secret rotate prod/db
                         sealbox secret rotate prod/db --lambda-arn arn:aws:lambda:us-east-1:123456789012:function:rotate-db --every-days 30
                         sealbox secret rotate prod/db --schedule 'rate(4 hours)' --window 2h --no-rotate-immediately
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The secret's name or ARN.")
        var secretId: String
        @Option(help: "The ARN of the Lambda function that rotates it.")
        var lambdaArn: String?
        @Option(help: "Rotate again this many days after each rotation (1-1000).")
        var everyDays: Int?
        @Option(help: "A rate() or cron() expression, instead of --every-days.")
        var schedule: String?
        @Option(help: "How long each rotation window lasts, such as 3h (with --schedule).")
        var window: String?
        @Flag(inversion: .prefixedNo, help: "Rotate now, or only set the schedule.")
        var rotateImmediately = true

        func validate() throws {
            if everyDays != nil && schedule != nil {
                throw ValidationError("give --every-days or --schedule, not both")
            }
            if let everyDays, !(1...1000).contains(everyDays) { throw ValidationError("--every-days is 1 to 1000") }
        }

        func run() async throws {
            var body: [String: Any] = ["SecretId": secretId, "RotateImmediately": rotateImmediately]
            if let lambdaArn { body["RotationLambdaARN"] = lambdaArn }
            var rules: [String: Any] = [:]
            if let everyDays { rules["AutomaticallyAfterDays"] = everyDays }
            if let schedule { rules["ScheduleExpression"] = schedule }
            if let window { rules["Duration"] = window }
            if !rules.isEmpty { body["RotationRules"] = rules }
            let result = try await global.daemon().aws("secretsmanager.RotateSecret", body)
            try Output.done(
                global.output, json: result,
                rotateImmediately
                    ? "\(Output.text(result["Name"])): rotating to version \(Output.text(result["VersionId"]))"
                    : "\(Output.text(result["Name"])): rotation scheduled")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule a secret's deletion (default in 30 days), or delete it at once with --force.",
            discussion: """
                Until the recovery window ends the secret cannot be read and `sealbox secret restore` brings it \
                back; --force deletes it and every version now, with no way back.

                Example: sealbox secret delete prod/old --recovery-days 7
                         sealbox secret delete scratch/tmp --force
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The secret's name or ARN.")
        var secretId: String
        @Option(help: "Days before the deletion happens, 7 to 30 (default 30).")
        var recoveryDays: Int?
        @Flag(help: "Delete now, without a recovery window.")
        var force = false

        func validate() throws {
            if force && recoveryDays != nil { throw ValidationError("give --recovery-days or --force, not both") }
            if let recoveryDays, !(7...30).contains(recoveryDays) {
                throw ValidationError("--recovery-days is 7 to 30")
            }
        }

        func run() async throws {
            var body: [String: Any] = ["SecretId": secretId]
            if let recoveryDays { body["RecoveryWindowInDays"] = recoveryDays }
            if force { body["ForceDeleteWithoutRecovery"] = true }
            let result = try await global.daemon().aws("secretsmanager.DeleteSecret", body)
            try Output.done(
                global.output, json: result,
                force
                    ? "deleted \(Output.text(result["Name"]))"
                    : "\(Output.text(result["Name"])) will be deleted on \(Output.date(result["DeletionDate"])); "
                        + "sealbox secret restore \(Output.text(result["Name"])) cancels it")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a secret's scheduled deletion.",
            discussion: "Example: sealbox secret restore prod/old")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The secret's name or ARN.")
        var secretId: String

        func run() async throws {
            let result = try await global.daemon().aws("secretsmanager.RestoreSecret", ["SecretId": secretId])
            try Output.done(global.output, json: result, "restored \(Output.text(result["Name"]))")
        }
    }
}
