import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The AWS shared-credentials file in the data dir (`<data-dir>/credentials`, mode 0600): its
/// `sealbox` profile's access key maps to the daemon's own principal.
public enum CredentialsFile {
    /// The profile name the daemon writes.
    public static let profile = "sealbox"
    /// The principal of the generated access key.
    public static let principal = "daemon"

    /// Reads the file, creating it with a fresh access key on first start.
    /// - Parameter path: the file.
    /// - Returns: the access keys.
    public static func loadOrCreate(at path: String) throws -> [AccessKey] {
        // lstat: a dangling symbolic link is something there, refused when read, never written through.
        var info = stat()
        if lstat(path, &info) != 0, errno == ENOENT { try create(at: path) }
        return try load(at: path)
    }

    /// Parses every profile with both an access key id and a secret.
    /// - Parameter path: the file.
    public static func load(at path: String) throws -> [AccessKey] {
        let contents = try SecretFile.read(path, what: "the credentials file")
        var keys: [AccessKey] = []
        var id: String?
        var secret: SecureBytes?
        func flush() {
            if let id, let secret { keys.append(AccessKey(id: id, secret: secret, principal: principal)) }
            id = nil
            secret = nil
        }
        contents.withUnsafeBytes { raw in
            for line in raw.split(separator: UInt8(ascii: "\n")) {
                let text = line.drop { $0 == 0x20 }
                if text.first == UInt8(ascii: "[") {
                    flush()
                    continue
                }
                guard let equals = text.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = String(decoding: text[..<equals], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                var value = text[(equals + 1)...]
                while value.first == 0x20 { value = value.dropFirst() }
                while let last = value.last, last == 0x20 || last == 0x0d { value = value.dropLast() }
                switch name {
                case "aws_access_key_id": id = String(decoding: value, as: UTF8.self)
                case "aws_secret_access_key": secret = SecureBytes(copying: Array(value))
                default: break
                }
            }
        }
        flush()
        return keys
    }

    private static func create(at path: String) throws {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        let id = "AKIA" + String(decoding: Sodium.randomBytes(16).map { alphabet[Int($0 & 31)] }, as: UTF8.self)
        let secretBytes = SecureBytes.random(count: 30)
        let header = Array("[\(profile)]\naws_access_key_id = \(id)\naws_secret_access_key = ".utf8)
        let file = try SecureBytes(count: header.count + 40 + 1) { out in
            out.copyBytes(from: header)
            secretBytes.withUnsafeBytes {
                Base64.encode(
                    $0, into: UnsafeMutableRawBufferPointer(rebasing: out[header.count..<(header.count + 40)]))
            }
            out[out.count - 1] = 0x0a
        }
        try SecretFile.create(path, contents: file, what: "the credentials file")
    }
}
