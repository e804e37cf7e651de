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

/// A problem that stops the daemon from starting, worded for the operator; it never contains a secret.
public struct SetupError: Error, CustomStringConvertible {
    public let description: String

    /// - Parameter description: what is wrong and, where possible, the fix.
    public init(description: String) {
        self.description = description
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
            if createIfMissing, !FileManager.default.fileExists(atPath: path) {
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
