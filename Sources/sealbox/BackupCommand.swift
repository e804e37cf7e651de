import ArgumentParser
import Foundation
import SealboxAPI

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the live store to a file: consistent, online, key material still wrapped.",
        discussion: """
            The copy holds key material wrapped under the root key and SecureString values as
            ciphertext, so it is useless without the root key; keep the two apart. To restore, stop
            the daemon, install the file as <data-dir>/sealbox.db (removing sealbox.db-wal and
            -shm), and start it with the same root key. See docs/operations.md.
            Example: sealbox backup /backups/sealbox-$(date +%F).db
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file to write (mode 0600); it must not exist.")
    var path: String

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CLIError(description: "\(path) already exists; choose a new file")
        }
        let bytes = try await global.daemon().bytes(.get, NativePath.backup)
        guard bytes.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw CLIError(description: "the daemon's answer is not a SQLite database")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            unlink(path)
            throw CLIError(description: "cannot write \(path)")
        }
        try Output.done(
            global.output, json: ["path": path, "bytes": bytes.count], "backed up \(bytes.count) bytes to \(path)")
    }
}
