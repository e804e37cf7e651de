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
            return (try decode(Array(text.utf8), origin: "env:\(name)"), false)
        }
    }

    private static func decode(_ text: [UInt8], origin: String) throws -> SecureBytes {
        var trimmed = text
        while let last = trimmed.last, last == 0x0a || last == 0x0d || last == 0x20 { trimmed.removeLast() }
        defer { trimmed.withUnsafeMutableBytes { Sodium.zero($0) } }
        guard let key = try? Base64.decodeSecure(trimmed), key.count == Envelope.keyLength else {
            throw SetupError(description: "the root key from \(origin) must be the base64 of exactly 32 bytes")
        }
        return key
    }

    private static func readKeyFile(_ path: String, checkPermissions: Bool) throws -> SecureBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SetupError(description: "cannot read the root key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SetupError(description: "cannot stat \(path)") }
        if checkPermissions, info.st_mode & 0o077 != 0 {
            throw SetupError(
                description:
                    "the root key file \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run: chmod 600 \(path)"
            )
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        defer { buffer.withUnsafeMutableBytes { Sodium.zero($0) } }
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { throw SetupError(description: "the root key file \(path) is empty") }
        return try decode(Array(buffer[0..<count]), origin: path)
    }

    private static func writeNewKeyFile(_ path: String, _ key: SecureBytes) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SetupError(
                description: "cannot create the root key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let encoded = try SecureBytes(count: Base64.encodedLength(key.count) + 1) { out in
            key.withUnsafeBytes { Base64.encode($0, into: out) }
            out[out.count - 1] = 0x0a
        }
        let written = encoded.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == encoded.count, fsync(fd) == 0 else {
            unlink(path)
            throw SetupError(description: "cannot write the root key file \(path)")
        }
    }
}
