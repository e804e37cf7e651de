import ArgumentParser
import Foundation
import SealboxAPI
import SealboxClient

struct EnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Encrypted environment variables: NAME=sealbox:v1:... instead of plaintext.",
        discussion: """
            The handler decrypts at run time through the daemon (POST /v1/env/decrypt, needs env:Decrypt),
            during its invocation: Sealbox.environment("NAME") in Swift, sealbox.client.env("NAME") in Python (pip install ./clients/python).
            """,
        subcommands: [Encrypt.self, Decrypt.self, Rewrap.self])

    struct Encrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a value from stdin (or --value-file) and print NAME=TOKEN; never the plaintext.",
            discussion: """
                The token is bound to NAME: it decrypts only as that variable. --fernet prints a real Fernet
                token instead, for code that already speaks Fernet; its key stays in the daemon.
                Example: sealbox env encrypt DB_PASSWORD < password.txt >> handler.env
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The variable's name.")
        var name: String
        @Option(help: "The KMS key (default alias/sealbox/env, created on first use).")
        var keyId: String?
        @Option(help: "Read the value from this file instead of stdin.")
        var valueFile: String?
        @Flag(help: "Emit a Fernet token (no name binding).")
        var fernet = false

        func run() async throws {
            let value = try SecretInput.read(file: valueFile, prompt: "Value for \(name)")
            let body = EnvRequest(name: name, value: value, keyId: keyId, fernet: fernet)
            let result = try await global.daemon().native(.post, NativePath.envEncrypt, body, answer: EnvToken.self)
            try Output.done(global.output, json: result, "\(name)=\(result.token)")
        }
    }

    struct Decrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt NAME=TOKEN (or NAME, reading its token from the environment) and print the value.",
            discussion: "Example: sealbox env decrypt \"$(grep ^DB_PASSWORD= handler.env)\"")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "NAME=TOKEN, or NAME to read the token from the variable NAME.")
        var assignment: String
        @Option(help: "For Fernet tokens: the key they were made under.")
        var keyId: String?

        func run() async throws {
            let (name, token) = try EnvCommand.split(assignment)
            let body = EnvRequest(name: name, token: token, keyId: keyId)
            let result = try await global.daemon().native(.post, NativePath.envDecrypt, body, answer: EnvValue.self)
            try Output.done(global.output, json: result, result.value)
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a sealbox:v1 token onto its key's newest version (before retiring old ones).",
            discussion: "Example: sealbox env rewrap \"$(grep ^DB_PASSWORD= handler.env)\"")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "NAME=TOKEN, or NAME to read the token from the variable NAME.")
        var assignment: String

        func run() async throws {
            let (name, token) = try EnvCommand.split(assignment)
            let result = try await global.daemon().native(
                .post, NativePath.envRewrap, EnvRequest(name: name, token: token), answer: EnvRewrapped.self)
            try Output.done(global.output, json: result, "\(name)=\(result.token)")
        }
    }

    static func split(_ assignment: String) throws -> (name: String, token: String) {
        if let equals = assignment.firstIndex(of: "=") {
            return (String(assignment[..<equals]), String(assignment[assignment.index(after: equals)...]))
        }
        guard let token = ProcessInfo.processInfo.environment[assignment] else {
            throw CLIError(description: "\(assignment) is not set; pass NAME=TOKEN")
        }
        return (assignment, token)
    }
}
