import ArgumentParser
import Foundation

@main
struct SealboxCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealbox",
        abstract: "Administer sealboxd: keys and their rotation, parameters, leases, the audit log, env tokens.",
        discussion: """
            sealbox talks to the daemon over its Unix socket, so every command is checked against the
            daemon's policy as the calling user. Secret values are read from stdin or --value-file,
            never from the command line. Errors go to stderr with exit code 1; usage errors exit 2.

            Examples:
              sealbox status
              sealbox key create --description "app secrets" --alias alias/app
              printf '%s' "$DB_PASSWORD" | sealbox param put /app/db/password --type SecureString --key-id alias/app
              sealbox key rotate alias/app && sealbox key rewrap alias/app
              sealbox env encrypt DB_PASSWORD < password.txt >> handler.env
              sealbox audit verify

            Shell completion: sealbox --generate-completion-script bash|zsh|fish
            """,
        version: "0.1.0",
        subcommands: [
            StatusCommand.self, KeyCommand.self, AliasCommand.self, GrantCommand.self, ParamCommand.self,
            SecretCommand.self,
            LeaseCommand.self,
            AuditCommand.self, EnvCommand.self, RootCommand.self, FixturesCommand.self, InspectCommand.self,
            BackupCommand.self, StoreCommand.self,
        ]
    )

    /// Exit codes as admins expect them: 0 success, 1 a failed operation, 2 a usage error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("sealbox: \(error)\n".utf8))
            Foundation.exit(1)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data("\(fullMessage(for: error))\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
