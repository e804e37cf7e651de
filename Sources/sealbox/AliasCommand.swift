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
            var aliases: [[String: Any]] = []
            var marker: String? = nil
            repeat {
                var body: [String: Any] = ["Limit": 100]
                if let marker { body["Marker"] = marker }
                let page = try await global.daemon().aws("TrentService.ListAliases", body)
                aliases += page["Aliases"] as? [[String: Any]] ?? []
                marker = page["Truncated"] as? Bool == true ? page["NextMarker"] as? String : nil
            } while marker != nil
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
