import ArgumentParser

struct ParamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "param",
        abstract: "Store and read Parameter Store parameters (String, StringList, SecureString).",
        subcommands: [Put.self, Get.self, List.self, History.self, Label.self, Delete.self])

    enum ParameterKind: String, ExpressibleByArgument, CaseIterable {
        case string = "String"
        case stringList = "StringList"
        case secureString = "SecureString"
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a parameter; the value comes from stdin or --value-file.",
            discussion: """
                Example: printf '%s' "$PASSWORD" | sealbox param put /app/db/password --type SecureString
                         sealbox param put /app/db/password --type SecureString --value-file ./password --overwrite
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The parameter name, such as /app/db/password.")
        var name: String
        @Option(help: "String, StringList or SecureString.")
        var type: ParameterKind = .secureString
        @Option(help: "For SecureString: the KMS key (default alias/aws/ssm).")
        var keyId: String?
        @Option(help: "A description.")
        var description: String?
        @Option(help: "Read the value from this file instead of stdin.")
        var valueFile: String?
        @Flag(help: "Replace an existing parameter with a new version.")
        var overwrite = false

        func run() async throws {
            let value = try SecretInput.read(file: valueFile, prompt: "Value for \(name)")
            var body: [String: Any] = ["Name": name, "Value": value, "Type": type.rawValue, "Overwrite": overwrite]
            if let keyId { body["KeyId"] = keyId }
            if let description { body["Description"] = description }
            let result = try await global.daemon().aws("AmazonSSM.PutParameter", body)
            try Output.done(global.output, json: result, "\(name): version \(Output.text(result["Version"]))")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a parameter; SecureString values only with --decrypt.",
            discussion: "Example: sealbox param get /app/db/password --decrypt --label live")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The parameter name.")
        var name: String
        @Flag(help: "Decrypt a SecureString value and print it.")
        var decrypt = false
        @Option(help: "A version number.")
        var version: Int?
        @Option(help: "A label.")
        var label: String?

        func validate() throws {
            if version != nil && label != nil { throw ValidationError("give --version or --label, not both") }
        }

        func run() async throws {
            let selector = version.map { ":\($0)" } ?? label.map { ":\($0)" } ?? ""
            let result = try await global.daemon().aws(
                "AmazonSSM.GetParameter", ["Name": name + selector, "WithDecryption": decrypt])
            var parameter = result["Parameter"] as? [String: Any] ?? [:]
            let secure = parameter["Type"] as? String == "SecureString"
            if secure && !decrypt { parameter["Value"] = nil }
            try Output.fields(
                global.output, json: parameter,
                [
                    ("Name", Output.text(parameter["Name"])), ("Type", Output.text(parameter["Type"])),
                    ("Version", Output.text(parameter["Version"])),
                    ("Modified", Output.date(parameter["LastModifiedDate"])),
                    ("Value", secure && !decrypt ? "(SecureString: add --decrypt)" : Output.text(parameter["Value"])),
                ])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List parameters under a path (names and metadata, never values).",
            discussion: "Example: sealbox param list --path /app --recursive")

        @OptionGroup var global: GlobalOptions
        @Option(help: "The path to list.")
        var path = "/"
        @Flag(help: "Include every level below the path.")
        var recursive = false

        func run() async throws {
            let parameters = try await global.daemon().awsAll(
                "AmazonSSM.GetParametersByPath", ["Path": path, "Recursive": recursive, "MaxResults": 10],
                items: "Parameters"
            ).map { parameter in parameter.filter { $0.key != "Value" } }
            try Output.table(
                global.output, json: parameters, columns: ["name", "type", "version", "modified"],
                rows: parameters.map {
                    [
                        Output.text($0["Name"]), Output.text($0["Type"]), Output.text($0["Version"]),
                        Output.date($0["LastModifiedDate"]),
                    ]
                })
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a parameter's versions with labels, authors and keys (never values).",
            discussion: "Example: sealbox param history /app/db/password")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The parameter name.")
        var name: String

        func run() async throws {
            let versions = try await global.daemon().awsAll(
                "AmazonSSM.GetParameterHistory", ["Name": name, "MaxResults": 50, "WithDecryption": false],
                items: "Parameters"
            ).map { version in version.filter { $0.key != "Value" } }
            try Output.table(
                global.output, json: versions, columns: ["version", "labels", "modified", "by", "key"],
                rows: versions.map {
                    [
                        Output.text($0["Version"]), ($0["Labels"] as? [String] ?? []).joined(separator: ","),
                        Output.date($0["LastModifiedDate"]), Output.text($0["LastModifiedUser"]),
                        Output.text($0["KeyId"]),
                    ]
                })
        }
    }

    struct Label: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach labels to a version (moving them from any other version).",
            discussion: "Example: sealbox param label /app/db/password --version 3 live")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The parameter name.")
        var name: String
        @Argument(help: "One or more labels.")
        var labels: [String]
        @Option(help: "The version; the latest when omitted.")
        var version: Int?

        func run() async throws {
            var body: [String: Any] = ["Name": name, "Labels": labels]
            if let version { body["ParameterVersion"] = version }
            let result = try await global.daemon().aws("AmazonSSM.LabelParameterVersion", body)
            let invalid = result["InvalidLabels"] as? [String] ?? []
            if !invalid.isEmpty {
                throw CLIError(description: "labels refused: \(invalid.joined(separator: ", "))")
            }
            try Output.done(
                global.output, json: result,
                "\(name) version \(Output.text(result["ParameterVersion"])): \(labels.joined(separator: ", "))")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a parameter and all its versions.",
            discussion: "Example: sealbox param delete /app/old")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The parameter name.")
        var name: String

        func run() async throws {
            let result = try await global.daemon().aws("AmazonSSM.DeleteParameter", ["Name": name])
            try Output.done(global.output, json: result.merging(["Name": name]) { a, _ in a }, "deleted \(name)")
        }
    }
}
