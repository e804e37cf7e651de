import ArgumentParser

struct AliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias",
        abstract: "Name keys with aliases (alias/...).",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point a new alias at a key.", discussion: "Example: sealbox alias create alias/app KEY_ID")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The alias, alias/NAME (alias/aws/ is reserved).")
        var alias: String
        @Argument(help: "Key id or key ARN.")
        var key: String

        func run() async throws {
            let result = try await global.daemon().aws(
                "TrentService.CreateAlias", ["AliasName": alias, "TargetKeyId": key])
            try Output.done(
                global.output, json: result.merging(["AliasName": alias]) { a, _ in a }, "\(alias) -> \(key)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List aliases and the keys they name.", discussion: "Example: sealbox alias list")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let aliases = try await global.daemon().awsAll(
                "TrentService.ListAliases", ["Limit": 100], items: "Aliases")
            try Output.table(
                global.output, json: aliases, columns: ["alias", "key id"],
                rows: aliases.map { [Output.text($0["AliasName"]), Output.text($0["TargetKeyId"])] })
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an alias; the key stays.", discussion: "Example: sealbox alias delete alias/old")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The alias.")
        var alias: String

        func run() async throws {
            let result = try await global.daemon().aws("TrentService.DeleteAlias", ["AliasName": alias])
            try Output.done(global.output, json: result.merging(["AliasName": alias]) { a, _ in a }, "deleted \(alias)")
        }
    }
}
