import Foundation
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Where the root key comes from: `file:PATH`, `env:NAME` (base64) or `credential:NAME`
/// (`$CREDENTIALS_DIRECTORY/NAME`, as systemd's `LoadCredential=` provides).
public enum RootKeySource: Hashable, Sendable, CustomStringConvertible {
    case file(String)
    case environment(String)
    case credential(String)

    /// Parses the `--root-key` flag.
    /// - Parameter text: `file:PATH`, `env:NAME` or `credential:NAME`.
    public init?(_ text: String) {
        if text.hasPrefix("file:"), text.count > 5 {
            self = .file(String(text.dropFirst(5)))
        } else if text.hasPrefix("env:"), text.count > 4 {
            self = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("credential:"), text.count > 11 {
            self = .credential(String(text.dropFirst(11)))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .file(let path): "file:\(path)"
        case .environment(let name): "env:\(name)"
        case .credential(let name): "credential:\(name)"
        }
    }
}

/// Loads, and on first start creates, the 32-byte root key.
public enum RootKey {
    /// Loads the root key from `source`.
    /// - Parameters:
    ///   - source: where it lives.
    ///   - createIfMissing: for the embedded default only: write a fresh key (mode 0600) when the file
    ///     does not exist.
    ///   - environment: the process environment.
    /// - Returns: the key, and whether it was just created.
    public static func load(
        _ source: RootKeySource,
        createIfMissing: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (key: SecureBytes, created: Bool) {
        switch source {
        case .file(let path):
            var info = stat()
            if createIfMissing, lstat(path, &info) != 0, errno == ENOENT {
                let key = SecureBytes.random(count: Envelope.keyLength)
                try writeNewKeyFile(path, key)
                return (key, true)
            }
            return (try readKeyFile(path, checkPermissions: true), false)
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"] else {
                throw SetupError(
                    description:
                        "--root-key credential:\(name) needs $CREDENTIALS_DIRECTORY (set by systemd's LoadCredential=)")
            }
            // systemd owns the credential directory's permissions; the file is not ours to judge.
            return (try readKeyFile(directory + "/" + name, checkPermissions: false), false)
        case .environment(let name):
            guard let text = environment[name] else {
                throw SetupError(description: "--root-key env:\(name): the variable \(name) is not set")
            }
            // Child processes and /proc/<pid>/environ must not see it once it is in guarded memory.
            unsetenv(name)
            return (try Array(text.utf8).withUnsafeBytes { try decode($0, origin: "env:\(name)") }, false)
        }
    }

    /// Where a rotation stages the next root key for the key file `path`.
    /// - Parameter path: the root key file.
    public static func candidatePath(for path: String) -> String { path + ".next" }

    /// Writes a new root key beside the current one (mode 0600, synced), replacing any stale candidate.
    /// - Parameters:
    ///   - key: the new key.
    ///   - path: the current root key file.
    public static func stageCandidate(_ key: SecureBytes, for path: String) throws {
        let candidate = candidatePath(for: path)
        unlink(candidate)
        try writeNewKeyFile(candidate, key)
        try syncDirectory(of: path)
    }

    /// Makes the staged key the root key file (an atomic rename, synced).
    /// - Parameter path: the current root key file.
    public static func promoteCandidate(for path: String) throws {
        guard rename(candidatePath(for: path), path) == 0 else {
            throw SetupError(
                description: "cannot install the new root key at \(path): \(String(cString: strerror(errno)))")
        }
        try syncDirectory(of: path)
    }

    /// The staged key, if a rotation left one.
    /// - Parameter path: the current root key file.
    public static func loadCandidate(for path: String) -> SecureBytes? {
        let candidate = candidatePath(for: path)
        guard FileManager.default.fileExists(atPath: candidate) else { return nil }
        return try? readKeyFile(candidate, checkPermissions: true)
    }

    /// Removes a staged key that never took effect.
    /// - Parameter path: the current root key file.
    public static func discardCandidate(for path: String) {
        unlink(candidatePath(for: path))
    }

    private static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SetupError(description: "cannot open \(directory) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SetupError(description: "cannot sync \(directory)") }
    }

    private static func decode(_ text: UnsafeRawBufferPointer, origin: String) throws -> SecureBytes {
        var end = text.count
        while end > 0, text[end - 1] == 0x0a || text[end - 1] == 0x0d || text[end - 1] == 0x20 { end -= 1 }
        let trimmed = UnsafeRawBufferPointer(rebasing: text[0..<end])
        guard let key = try? Base64.decodeSecure(trimmed), key.count == Envelope.keyLength else {
            throw SetupError(description: "the root key from \(origin) must be the base64 of exactly 32 bytes")
        }
        return key
    }

    private static func readKeyFile(_ path: String, checkPermissions: Bool) throws -> SecureBytes {
        let text = try SecretFile.read(path, what: "the root key file", checkPermissions: checkPermissions)
        return try text.withUnsafeBytes { try decode($0, origin: path) }
    }

    private static func writeNewKeyFile(_ path: String, _ key: SecureBytes) throws {
        let encoded = try SecureBytes(count: Base64.encodedLength(key.count) + 1) { out in
            key.withUnsafeBytes { Base64.encode($0, into: out) }
            out[out.count - 1] = 0x0a
        }
        try SecretFile.create(path, contents: encoded, what: "the root key file")
    }
}
