import ArgumentParser
import Foundation
import SealboxCrypto

/// Test-vector and interoperability tool. Not installed with Sealbox; the tests and docs use it.
@main
struct SealboxVectors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealbox-vectors",
        abstract: "Generates envelope test vectors and runs Fernet for interoperability tests.",
        subcommands: [EnvelopeVectors.self, FernetCommand.self]
    )
}

struct EnvelopeVectors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envelope",
        abstract: "Writes valid and invalid envelope v1 vectors, as JSON, from the fixed test keys.",
        discussion:
            "Example: sealbox-vectors envelope --keys Keys/test/envelope-keys.json > Keys/test/envelope-vectors.json"
    )

    @Option(help: "The test keys file.")
    var keys: String

    struct KeyFile: Decodable {
        struct Key: Decodable {
            var keyId: String
            var versions: [String: String]
        }
        var keys: [Key]
    }

    struct Valid: Encodable {
        var description: String
        var keyId: String
        var keyVersion: UInt32
        var timestamp: UInt64
        var nonce: String
        var context: [String: String]
        var plaintext: String
        var token: String
    }

    struct Invalid: Encodable {
        var description: String
        var context: [String: String]
        var token: String
        var error: String
    }

    func run() throws {
        let file = try JSONDecoder().decode(KeyFile.self, from: Data(contentsOf: URL(fileURLWithPath: keys)))
        func material(_ index: Int, _ version: UInt32) throws -> SecureBytes {
            try Base64.decodeSecure(Array(file.keys[index].versions["\(version)"]!.utf8))
        }
        func nonce(_ seed: UInt8) -> [UInt8] { (0..<24).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0) } }
        let cases: [(String, Int, UInt32, UInt64, UInt8, [String: String], [UInt8])] = [
            ("empty plaintext, no context", 0, 1, 1_767_225_600, 1, [:], []),
            ("short text, no context", 0, 1, 1_767_225_601, 2, [:], Array("hello".utf8)),
            ("key version 2, one context pair", 0, 2, 1_767_225_602, 3, ["purpose": "test"], Array("s3cr3t".utf8)),
            (
                "second key, SSM-style context", 1, 1, 1_767_225_603, 4,
                ["PARAMETER_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/password"],
                Array("db-password-1".utf8)
            ),
            (
                "binary plaintext, two context pairs", 1, 1, 1_767_225_604, 5, ["b": "2", "a": "1"],
                (0..<64).map { UInt8($0 * 4) }
            ),
            ("4096-byte plaintext", 0, 1, 4_102_444_800, 6, ["size": "max"], (0..<4096).map { UInt8($0 % 251) }),
        ]
        var valid: [Valid] = []
        var tokens: [[UInt8]] = []
        for (description, index, version, timestamp, seed, context, plaintext) in cases {
            let token = try Envelope.seal(
                plaintext, key: try material(index, version), keyID: KeyID(file.keys[index].keyId)!,
                keyVersion: version,
                context: EncryptionContext(context), timestamp: timestamp, nonce: nonce(seed))
            tokens.append(token)
            valid.append(
                Valid(
                    description: description, keyId: file.keys[index].keyId, keyVersion: version, timestamp: timestamp,
                    nonce: Hex.encode(nonce(seed)), context: context, plaintext: Hex.encode(plaintext),
                    token: Base64.encode(token)))
        }
        let base = tokens[2]
        let context = valid[2].context
        var invalid: [Invalid] = []
        func flip(_ offset: Int, _ field: String, error: String) {
            var token = base
            token[offset] ^= 0x01
            invalid.append(
                Invalid(
                    description: "bit flip in \(field) (byte \(offset))", context: context, token: Base64.encode(token),
                    error: error))
        }
        flip(0, "version byte", error: "unsupportedVersion")
        flip(1, "key id", error: "unknownKey")
        flip(20, "key version", error: "unknownKeyVersion")
        flip(28, "timestamp", error: "authenticationFailed")
        flip(29, "nonce", error: "authenticationFailed")
        flip(53, "tag", error: "authenticationFailed")
        flip(base.count - 1, "ciphertext", error: "authenticationFailed")
        invalid.append(
            Invalid(
                description: "truncated to the header", context: context, token: Base64.encode(Array(base[0..<53])),
                error: "malformed"))
        invalid.append(
            Invalid(
                description: "last byte removed", context: context, token: Base64.encode(Array(base.dropLast())),
                error: "authenticationFailed"))
        invalid.append(
            Invalid(
                description: "wrong context value", context: ["purpose": "Test"], token: Base64.encode(base),
                error: "authenticationFailed"))
        invalid.append(
            Invalid(
                description: "missing context", context: [:], token: Base64.encode(base), error: "authenticationFailed")
        )
        invalid.append(
            Invalid(
                description: "extra context pair", context: ["purpose": "test", "x": "y"], token: Base64.encode(base),
                error: "authenticationFailed"))
        let unknownVersion = try Envelope.seal(
            Array("orphan".utf8), key: try material(1, 1), keyID: KeyID(file.keys[1].keyId)!, keyVersion: 9,
            context: EncryptionContext(),
            timestamp: 1_767_225_605, nonce: nonce(7))
        invalid.append(
            Invalid(
                description: "unknown key version 9", context: [:], token: Base64.encode(unknownVersion),
                error: "unknownKeyVersion"))
        var version2 = base
        version2[0] = 0x02
        invalid.append(
            Invalid(
                description: "unknown version byte 0x02", context: context, token: Base64.encode(version2),
                error: "unsupportedVersion"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        struct Output: Encodable {
            var comment: String
            var valid: [Valid]
            var invalid: [Invalid]
        }
        let output = Output(
            comment:
                "Envelope v1 test vectors from Keys/test/envelope-keys.json (TEST KEYS ONLY). Regenerate with: sealbox-vectors envelope --keys Keys/test/envelope-keys.json",
            valid: valid, invalid: invalid)
        FileHandle.standardOutput.write(try encoder.encode(output) + Data("\n".utf8))
    }
}

struct FernetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fernet",
        abstract: "Fernet tokens, for interoperability tests with Python's cryptography.fernet.",
        subcommands: [Encrypt.self, Decrypt.self]
    )

    static func key(_ path: String) throws -> FernetKey {
        let text = try SecureBytes(copying: Array(Data(contentsOf: URL(fileURLWithPath: path))))
        return try text.withUnsafeBytes { raw in
            var end = raw.count
            while end > 0, raw[end - 1] == 0x0a || raw[end - 1] == 0x0d || raw[end - 1] == 0x20 { end -= 1 }
            return try FernetKey(base64URL: UnsafeRawBufferPointer(rebasing: raw[0..<end]))
        }
    }

    static var now: UInt64 { UInt64(Date().timeIntervalSince1970) }

    struct Encrypt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reads plaintext on stdin and prints a token.",
            discussion: "Example: printf hello | sealbox-vectors fernet encrypt --key-file key.txt")

        @Option(help: "A file holding the URL-safe base64 key.")
        var keyFile: String

        func run() throws {
            let plaintext = SecureBytes(copying: Array(FileHandle.standardInput.readDataToEndOfFile()))
            print(try Fernet.encrypt(plaintext, key: try FernetCommand.key(keyFile), now: FernetCommand.now))
        }
    }

    struct Decrypt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reads a token on stdin and writes the plaintext to stdout.",
            discussion: "Example: sealbox-vectors fernet decrypt --key-file key.txt --ttl 60 < token.txt")

        @Option(help: "A file holding the URL-safe base64 key.")
        var keyFile: String

        @Option(help: "Refuse tokens older than this many seconds.")
        var ttl: UInt64?

        func run() throws {
            var token = Array(FileHandle.standardInput.readDataToEndOfFile())
            while let last = token.last, last == 0x0a || last == 0x0d || last == 0x20 { token.removeLast() }
            do {
                let plaintext = try Fernet.decrypt(
                    token, key: try FernetCommand.key(keyFile), ttl: ttl, now: FernetCommand.now)
                plaintext.withUnsafeBytes { FileHandle.standardOutput.write(Data($0)) }
            } catch let error as CryptoError {
                FileHandle.standardError.write(Data("sealbox-vectors: invalid token: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
