import ArgumentParser
import Foundation
import Logging
import SealboxCore
import SealboxStore

#if PostgreSQL
    import SealboxPostgres
#endif

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Move a whole store between backends: one host's SQLite file and a fleet's PostgreSQL.",
        subcommands: [CopyCommand.self])

    struct CopyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy every key, alias, grant, parameter and secret into an empty store.",
            discussion: """
                Rows are copied as they are: key material stays wrapped under the root key and values \
                stay sealed, so the copy needs no root key and decrypts nothing. The target serves \
                under the source's root key. A PostgreSQL target gets its schema; a target that \
                holds anything is refused. Counts are compared at the end.

                Stop the daemons of the source first (or copy a file that `sealbox backup` wrote), \
                so that no write lands after its rows were read. The PostgreSQL password comes from \
                PGPASSWORD.

                Examples:
                  sealbox store copy --from sqlite:/var/lib/sealbox/sealbox.db \\
                      --to 'postgres://sealbox@db.internal:5432/sealbox?sslmode=require'
                  sealbox store copy --from postgres://sealbox@db1:5432/sealbox --to postgres://sealbox@db2:5432/sealbox
                """)

        @Option(help: ArgumentHelp("The store to read: sqlite:PATH or postgres://USER@HOST:PORT/DB.", valueName: "url"))
        var from: String

        @Option(
            help: ArgumentHelp("An empty store to fill: sqlite:PATH or postgres://USER@HOST:PORT/DB.", valueName: "url")
        )
        var to: String

        @Option(help: "table or json.")
        var output: OutputFormat = .table

        func run() async throws {
            let (source, target) = (try StoreLocation(from), try StoreLocation(to))
            guard source != target else { throw CLIError(description: "--from and --to name the same store") }
            let password = ProcessInfo.processInfo.environment["PGPASSWORD"]
            var logger = Logger(label: "sealbox")
            logger.logLevel = .error
            let counts = try StoreCopy(
                from: try Self.open(source, password: password, mustExist: true, logger: logger),
                to: try Self.open(target, password: password, mustExist: false, logger: logger)
            ).run { stage, done, total in
                ProgressBar(title: stage).update(done: done, total: total)
                if done == total { ProgressBar(title: stage).finish() }
            }
            try Output.done(
                output,
                json: [
                    "keys": counts.keys, "aliases": counts.aliases, "grants": counts.grants,
                    "parameters": counts.parameters, "parameterVersions": counts.parameterVersions,
                    "secrets": counts.secrets, "secretVersions": counts.secretVersions,
                    "serviceSettings": counts.serviceSettings, "daemonSecrets": counts.daemonSecrets,
                ],
                "copied \(counts) from \(source) to \(target); counts verified")
        }

        /// Opens a store, creating its schema if needed; a source's SQLite file must exist already.
        static func open(_ location: StoreLocation, password: String?, mustExist: Bool, logger: Logger) throws
            -> any SealboxStorage
        {
            switch location {
            case .sqlite(let path):
                if mustExist, !FileManager.default.fileExists(atPath: path) {
                    throw CLIError(description: "\(path) does not exist")
                }
                return try SQLiteStore(path: path)
            case .postgres(let database):
                #if PostgreSQL
                    return try PostgresStore(database, password: password, logger: logger)
                #else
                    _ = database
                    throw CLIError(description: "this sealbox was built without the PostgreSQL trait")
                #endif
            }
        }
    }
}
