import ArgumentParser
import Foundation
import SealboxAPI

struct FixturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixtures",
        abstract: "Load or save test fixtures: keys, aliases, parameters (YAML or JSON).",
        discussion: """
            The format is the one `sealboxd --fixtures FILE` reads; see docs/testing.md.
            Example: sealbox fixtures export > seed.yaml && sealbox fixtures import seed.yaml
            """,
        subcommands: [Import.self, Export.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a fixture file; what already matches is left alone, so a second run changes nothing.",
            discussion: "Example: sealbox fixtures import Tests/fixtures.yaml")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The YAML or JSON file; - for stdin.")
        var file: String

        func run() async throws {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: file) else {
                    throw CLIError(description: "cannot read \(file)")
                }
                data = contents
            }
            let report = try await global.daemon().nativeRaw(
                .post, NativePath.fixtures, body: Array(data), answer: FixturesApplied.self)
            let changes = [
                ("keysCreated", report.keysCreated), ("keysChanged", report.keysChanged),
                ("parametersWritten", report.parametersWritten), ("labelsMoved", report.labelsMoved),
                ("secretsWritten", report.secretsWritten ?? 0),
            ].map { "\($0) \($1)" }.joined(separator: ", ")
            try Output.done(global.output, json: report, "applied \(file): \(changes)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the daemon's keys, aliases and parameters as fixtures (ephemeral daemons only).",
            discussion: """
                The export holds plaintext values and key material, so only an ephemeral (test) daemon
                gives one. Example: sealbox fixtures export --format json > seed.json
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "yaml or json.")
        var format: String = "yaml"

        func validate() throws {
            guard ["yaml", "json"].contains(format) else { throw ValidationError("--format is yaml or json") }
        }

        func run() async throws {
            let text = try await global.daemon().text(.get, NativePath.fixtures(format: format))
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
