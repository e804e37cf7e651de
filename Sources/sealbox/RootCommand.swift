import ArgumentParser
import SealboxAPI

struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root",
        abstract: "Manage the root key that wraps all key material.",
        subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a new root key and re-wrap all key material under it, atomically.",
            discussion: """
                For a file: root key. The new key is written beside the old one first, the store is re-wrapped
                in one transaction, then the new file replaces the old; a crash at any point leaves a key that
                opens the store, and the daemon finishes an interrupted rotation at start. Back up the new
                root key file afterwards.
                Example: sealbox root rotate
                """)

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let result = try await global.daemon().native(.post, NativePath.rotateRootKey, answer: RootRotation.self)
            try Output.done(
                global.output, json: result,
                "root key rotated: \(result.versions) key versions re-wrapped; new key in \(result.rootKey)")
        }
    }
}
