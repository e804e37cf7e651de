import ArgumentParser
import Foundation
import SealboxAPI

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create, inspect, rotate and retire KMS keys.",
        discussion: """
            A key has versions of material under the root key. Rotation adds a version that every new
            encryption uses; older versions still decrypt until retired. `rewrap` moves stored data keys
            onto the newest version, after which `retire` can stop older versions from decrypting.

            Example rotation runbook:
              sealbox key rotate alias/app
              sealbox key rewrap alias/app
              sealbox key retire alias/app --below 2
            """,
        subcommands: [
            Create.self, List.self, Describe.self, PublicKey.self, Replicate.self, Enable.self, Disable.self,
            Rotate.self, AutoRotate.self, Rewrap.self, Retire.self, ScheduleDeletion.self, CancelDeletion.self,
        ])

    struct KeyArgument: ParsableArguments {
        @Argument(help: "Key id, key ARN or alias (alias/...).")
        var key: String
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a symmetric, HMAC, RSA or elliptic-curve key (and optionally an alias for it).",
            discussion: """
                Symmetric keys encrypt; HMAC keys make and check MACs; RSA keys either encrypt (RSAES-OAEP)
                or sign, as --key-usage says; elliptic-curve keys sign, or agree on shared secrets (ECDH).

                Examples:
                  sealbox key create --description "app secrets" --alias alias/app
                  sealbox key create --key-spec HMAC_256 --alias alias/webhooks
                  sealbox key create --key-spec ECC_NIST_P256 --alias alias/tokens
                  sealbox key create --key-spec RSA_3072 --key-usage ENCRYPT_DECRYPT
                  sealbox key create --multi-region --alias alias/global
                  sealbox key public-key alias/tokens > tokens.pem
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "What the key is for.")
        var description: String?
        @Option(help: "An alias to create for the key (alias/...).")
        var alias: String?
        @Option(
            help: """
                SYMMETRIC_DEFAULT (the default); HMAC_224, HMAC_256, HMAC_384, HMAC_512; RSA_2048, RSA_3072, \
                RSA_4096; ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1.
                """)
        var keySpec: String?
        @Option(
            help: """
                ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT. Defaults: GENERATE_VERIFY_MAC \
                for HMAC keys, SIGN_VERIFY for elliptic-curve keys; RSA keys need it named.
                """)
        var keyUsage: String?
        @Flag(
            help: "Make a multi-Region primary key (an mrk- id), which `sealbox key replicate` copies to other regions."
        )
        var multiRegion = false

        func run() async throws {
            let daemon = global.daemon()
            var body: [String: Any] = [:]
            if let description { body["Description"] = description }
            if multiRegion { body["MultiRegion"] = true }
            if let keySpec { body["KeySpec"] = keySpec }
            // AWS wants the usage named for every key but a symmetric one; an HMAC key has only one,
            // and an elliptic-curve key is most often made to sign.
            if let usage = keyUsage ?? Self.defaultUsage(keySpec) { body["KeyUsage"] = usage }
            let created = try await daemon.aws("TrentService.CreateKey", body)
            let metadata = created["KeyMetadata"] as? [String: Any] ?? [:]
            if let alias {
                _ = try await daemon.aws(
                    "TrentService.CreateAlias", ["AliasName": alias, "TargetKeyId": metadata["KeyId"] ?? ""])
            }
            try Output.fields(
                global.output, json: metadata,
                [
                    ("Key id", Output.text(metadata["KeyId"])), ("ARN", Output.text(metadata["Arn"])),
                    ("Alias", alias),
                    // Named only when it is not the default, so that a symmetric key reads as before.
                    ("Key spec", keySpec == nil ? nil : Output.text(metadata["KeySpec"])),
                    ("Key usage", keySpec == nil ? nil : Output.text(metadata["KeyUsage"])),
                ])
        }

        static func defaultUsage(_ spec: String?) -> String? {
            guard let spec else { return nil }
            if spec.hasPrefix("HMAC_") { return "GENERATE_VERIFY_MAC" }
            if spec.hasPrefix("ECC_") { return "SIGN_VERIFY" }
            return nil
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print an RSA or elliptic-curve key's public key, as PEM.",
            discussion: """
                The PEM (SubjectPublicKeyInfo) is what `openssl`, `cryptography` and JWT libraries read to
                verify a signature or encrypt to the key without calling the daemon. --output json prints
                GetPublicKey's answer instead: the DER in base64, with the key's spec, usage and algorithms.

                Examples:
                  sealbox key public-key alias/tokens > tokens.pem
                  openssl dgst -sha256 -verify tokens.pem -signature sig.der message.txt
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument

        func run() async throws {
            let answer = try await global.daemon().aws("TrentService.GetPublicKey", ["KeyId": target.key])
            guard global.output != .json else { return try Output.printJSON(answer) }
            let der = Output.text(answer["PublicKey"])
            var lines = ["-----BEGIN PUBLIC KEY-----"]
            var rest = Substring(der)
            while !rest.isEmpty {
                lines.append(String(rest.prefix(64)))
                rest = rest.dropFirst(64)
            }
            lines.append("-----END PUBLIC KEY-----")
            print(lines.joined(separator: "\n"))
        }
    }

    struct Replicate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a multi-Region primary key into another region.",
            discussion: """
                The replica has the primary's key id and material, so each decrypts what the other
                encrypted; its description, policy, aliases and enabled state are its own. Rotate the
                primary: its replicas follow. The CLI acts in the daemon's --region, so KEY names a key
                there; clients signed for the replica's region reach the replica.

                Example:
                  sealbox key replicate mrk-1234abcd12ab34cd56ef1234567890ab --replica-region eu-west-1
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument
        @Option(help: "The region to copy the key into, such as eu-west-1.")
        var replicaRegion: String
        @Option(help: "The replica's description.")
        var description: String?

        func run() async throws {
            let daemon = global.daemon()
            let keyId = try await KeyCommand.keyID(daemon, target.key)
            var body: [String: Any] = ["KeyId": keyId, "ReplicaRegion": replicaRegion]
            if let description { body["Description"] = description }
            let answer = try await daemon.aws("TrentService.ReplicateKey", body)
            let metadata = answer["ReplicaKeyMetadata"] as? [String: Any] ?? [:]
            try Output.fields(
                global.output, json: metadata,
                [("Key id", Output.text(metadata["KeyId"])), ("ARN", Output.text(metadata["Arn"]))])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List keys with their state, aliases and description.",
            discussion: "Example: sealbox key list --output json")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let daemon = global.daemon()
            let ids = try await daemon.awsAll("TrentService.ListKeys", ["Limit": 1000], items: "Keys")
                .compactMap { $0["KeyId"] as? String }
            let aliases = try await KeyCommand.aliasesByKey(daemon)
            var keys: [[String: Any]] = []
            for id in ids {
                var metadata =
                    try await daemon.aws("TrentService.DescribeKey", ["KeyId": id])["KeyMetadata"]
                    as? [String: Any] ?? [:]
                metadata["Aliases"] = aliases[id] ?? []
                keys.append(metadata)
            }
            try Output.table(
                global.output, json: keys, columns: ["key id", "state", "manager", "aliases", "description"],
                rows: keys.map { key in
                    [
                        Output.text(key["KeyId"]), Output.text(key["KeyState"]), Output.text(key["KeyManager"]),
                        (key["Aliases"] as? [String] ?? []).joined(separator: ","), Output.text(key["Description"]),
                    ]
                })
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one key: state, rotation, versions and aliases.",
            discussion: "Example: sealbox key describe alias/app")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument

        func run() async throws {
            let daemon = global.daemon()
            var metadata =
                try await daemon.aws("TrentService.DescribeKey", ["KeyId": target.key])["KeyMetadata"]
                as? [String: Any] ?? [:]
            let id = metadata["KeyId"] as? String ?? target.key
            // Both are refused for a key pending deletion, which describe must still show.
            let rotation = (try? await daemon.aws("TrentService.GetKeyRotationStatus", ["KeyId": id])) ?? [:]
            let rotations =
                (try? await daemon.aws("TrentService.ListKeyRotations", ["KeyId": id]))?["Rotations"]
                as? [[String: Any]]
            let aliases = try await KeyCommand.aliasesByKey(daemon)[id] ?? []
            metadata["Aliases"] = aliases
            metadata["Rotation"] = rotation
            metadata["Rotations"] = rotations ?? []
            let automatic =
                rotation["KeyRotationEnabled"] as? Bool == true
                ? "every \(Output.text(rotation["RotationPeriodInDays"])) days, next \(Output.date(rotation["NextRotationDate"]))"
                : "off"
            try Output.fields(
                global.output, json: metadata,
                [
                    ("Key id", id), ("ARN", Output.text(metadata["Arn"])), ("State", Output.text(metadata["KeyState"])),
                    ("Manager", Output.text(metadata["KeyManager"])),
                    ("Description", Output.text(metadata["Description"])),
                    ("Created", Output.date(metadata["CreationDate"])),
                    ("Deletion date", metadata["DeletionDate"].map { Output.date($0) }),
                    ("Aliases", aliases.isEmpty ? "-" : aliases.joined(separator: ", ")),
                    ("Versions", rotations.map { "\($0.count + 1) (\($0.count) rotations)" } ?? "-"),
                    ("Automatic rotation", automatic),
                ])
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable a disabled key.", discussion: "Example: sealbox key enable alias/app")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument

        func run() async throws {
            let id = try await KeyCommand.keyID(global.daemon(), target.key)
            let result = try await global.daemon().aws("TrentService.EnableKey", ["KeyId": id])
            try Output.done(global.output, json: result.merging(["KeyId": id]) { a, _ in a }, "enabled \(id)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a key: it neither encrypts nor decrypts until enabled again.",
            discussion: "Example: sealbox key disable alias/app")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument

        func run() async throws {
            let id = try await KeyCommand.keyID(global.daemon(), target.key)
            let result = try await global.daemon().aws("TrentService.DisableKey", ["KeyId": id])
            try Output.done(global.output, json: result.merging(["KeyId": id]) { a, _ in a }, "disabled \(id)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new key version now; new encryptions use it, older versions still decrypt.",
            discussion: """
                Follow with `sealbox key rewrap KEY` to move stored data keys onto the new version.
                Example: sealbox key rotate alias/app
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument

        func run() async throws {
            let daemon = global.daemon()
            let id = try await KeyCommand.keyID(daemon, target.key)
            _ = try await daemon.aws("TrentService.RotateKeyOnDemand", ["KeyId": id])
            let rotations =
                try await daemon.aws("TrentService.ListKeyRotations", ["KeyId": id])["Rotations"]
                as? [[String: Any]] ?? []
            try Output.done(
                global.output, json: ["KeyId": id, "Versions": rotations.count + 1],
                "rotated \(id): now at version \(rotations.count + 1)")
        }
    }

    struct AutoRotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "auto-rotate",
            abstract: "Turn automatic rotation on (every --period-days) or off.",
            discussion: "Example: sealbox key auto-rotate alias/app --period-days 90")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument
        @Option(help: "Days between rotations (90 to 2560, as AWS allows).")
        var periodDays: Int?
        @Flag(help: "Turn automatic rotation off.")
        var off = false

        func validate() throws {
            guard off != (periodDays != nil) else { throw ValidationError("give --period-days N or --off") }
        }

        func run() async throws {
            let daemon = global.daemon()
            let id = try await KeyCommand.keyID(daemon, target.key)
            if off {
                _ = try await daemon.aws("TrentService.DisableKeyRotation", ["KeyId": id])
            } else {
                _ = try await daemon.aws(
                    "TrentService.EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": periodDays!])
            }
            let status = try await daemon.aws("TrentService.GetKeyRotationStatus", ["KeyId": id])
            try Output.done(
                global.output, json: status,
                off
                    ? "automatic rotation off for \(id)"
                    : "\(id) rotates every \(periodDays!) days; next \(Output.date(status["NextRotationDate"]))")
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every stored data key under its key's newest version.",
            discussion: """
                Values are never decrypted or sent out: only data keys are re-wrapped, inside the daemon,
                in batches that each commit atomically. Interrupted, it leaves every secret readable; run
                it again to finish. Without KEY, data keys of every key are re-wrapped.
                Example: sealbox key rewrap alias/app
                """)

        /// What `--output json` prints: the batches' totals.
        struct RewrapTotal: Encodable {
            var rewrapped: Int
            var failed: [String]
        }

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key id, key ARN or alias; every key when omitted.")
        var key: String?
        @Option(help: "Data keys per batch.")
        var batchSize = 200

        func validate() throws {
            guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size is 1 to 10000") }
        }

        func run() async throws {
            let daemon = global.daemon()
            let bar = ProgressBar(title: "rewrap")
            var total = 0
            var done = 0
            var failed: [String] = []
            while true {
                let batch = try await daemon.native(
                    .post, NativePath.rewrapKeys, RewrapRequest(keyId: key, limit: batchSize), answer: RewrapBatch.self)
                failed += batch.failed
                done += batch.rewrapped
                total = max(total, done + batch.remaining)
                bar.update(done: done, total: total)
                if batch.remaining == 0 || batch.rewrapped == 0 { break }
            }
            bar.finish()
            if !failed.isEmpty {
                throw CLIError(
                    description: "\(failed.count) SecureString versions did not open and were left as they were: "
                        + failed.joined(separator: ", "))
            }
            try Output.done(
                global.output, json: RewrapTotal(rewrapped: done, failed: failed),
                "rewrapped \(done) data keys\(key.map { " of \($0)" } ?? "")")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop versions below --below from decrypting (Vault's min_decryption_version).",
            discussion: """
                Refused while stored data keys still use those versions: run `sealbox key rewrap` first.
                Ciphertexts held outside the daemon under retired versions stop decrypting; env tokens
                can be moved forward with `sealbox env rewrap`. A floor cannot be lowered again.
                Example: sealbox key retire alias/app --below 3
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument
        @Option(help: "The lowest version that still decrypts.")
        var below: Int

        func run() async throws {
            let result = try await global.daemon().native(
                .post, NativePath.retireKeyVersions, RetireRequest(keyId: target.key, belowVersion: below),
                answer: RetiredVersions.self)
            try Output.done(global.output, json: result, "versions below \(below) of \(result.keyArn) are retired")
        }
    }

    struct ScheduleDeletion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule-deletion",
            abstract: "Schedule a key's deletion after a waiting period (7 to 30 days).",
            discussion: "Example: sealbox key schedule-deletion alias/old --days 7")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument
        @Option(help: "Days to wait before the key and its material are deleted.")
        var days = 30

        func run() async throws {
            let daemon = global.daemon()
            let id = try await KeyCommand.keyID(daemon, target.key)
            let result = try await daemon.aws(
                "TrentService.ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": days])
            try Output.done(
                global.output, json: result, "\(id) will be deleted on \(Output.date(result["DeletionDate"]))")
        }
    }

    struct CancelDeletion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel-deletion",
            abstract: "Cancel a scheduled deletion; the key comes back disabled.",
            discussion: "Example: sealbox key cancel-deletion 1234abcd-12ab-34cd-56ef-1234567890ab")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: KeyArgument

        func run() async throws {
            let daemon = global.daemon()
            let id = try await KeyCommand.keyID(daemon, target.key)
            let result = try await daemon.aws("TrentService.CancelKeyDeletion", ["KeyId": id])
            try Output.done(
                global.output, json: result, "deletion of \(id) cancelled; the key is disabled (sealbox key enable)")
        }
    }

    /// The key id an alias or ARN names (state-changing KMS operations take no alias).
    static func keyID(_ daemon: DaemonClient, _ reference: String) async throws -> String {
        let metadata =
            try await daemon.aws("TrentService.DescribeKey", ["KeyId": reference])["KeyMetadata"]
            as? [String: Any]
        guard let id = metadata?["KeyId"] as? String else { throw CLIError(description: "no key \(reference)") }
        return id
    }

    static func aliasesByKey(_ daemon: DaemonClient) async throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for alias in try await daemon.awsAll("TrentService.ListAliases", ["Limit": 100], items: "Aliases") {
            if let key = alias["TargetKeyId"] as? String, let name = alias["AliasName"] as? String {
                result[key, default: []].append(name)
            }
        }
        return result
    }
}
