import ArgumentParser
import Foundation
import SealboxCrypto

/// Crypto microbenchmarks: envelope tokens and Fernet, against Python's cryptography.fernet; and the
/// signatures the Sign and Verify workloads make, alone, which their targets are measured against.
struct CryptoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Envelope seal/open and Fernet encrypt/decrypt per second, with Python's Fernet beside them.",
        discussion: "Example: sealbox-bench crypto --python-script Tests/Bench/fernet_python.py"
    )

    @Option(help: "Seconds per figure.")
    var duration = 1.0

    @Option(help: "Plaintext size in bytes.")
    var size = 32

    @Option(help: "A Python script that prints {\"encrypt\": ops/s, \"decrypt\": ops/s} for cryptography.fernet.")
    var pythonScript: String?

    @Option(help: "Where to write the figures as JSON (`sealbox-bench report` reads them).")
    var json: String?

    /// Operations per second, as `--json` writes them; the Python figures only with --python-script.
    struct Figures: Codable {
        var plaintextBytes: Int
        var envelopeSeal: Double
        var envelopeOpen: Double
        var fernetEncrypt: Double
        var fernetDecrypt: Double
        var pythonFernetEncrypt: Double?
        var pythonFernetDecrypt: Double?
        /// Sign and Verify of a 32-byte message as the daemon does them (hash, then the EVP call).
        var signECCP256: Double?
        var signRSA2048: Double?
        var verifyECCP256: Double?
    }

    func rate(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(duration * 1000))
        var count = 0
        while clock.now < end {
            for _ in 0..<64 { try body() }
            count += 64
        }
        return Double(count) / duration
    }

    func run() throws {
        let key = SecureBytes.random(count: 32)
        let id = KeyID.random()
        let plaintext = SecureBytes.random(count: size)
        let context = EncryptionContext(["PARAMETER_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"])
        let token = try Envelope.seal(plaintext, key: key, keyID: id, keyVersion: 1, context: context, timestamp: 1)
        let seal = try rate {
            _ = try Envelope.seal(plaintext, key: key, keyID: id, keyVersion: 1, context: context, timestamp: 1)
        }
        let open = try rate { _ = try Envelope.open(token, key: key, context: context) }
        let fernetKey = FernetKey.generate()
        let now = UInt64(Date().timeIntervalSince1970)
        let fernetToken = Array(try Fernet.encrypt(plaintext, key: fernetKey, now: now).utf8)
        let encrypt = try rate { _ = try Fernet.encrypt(plaintext, key: fernetKey, now: now) }
        let decrypt = try rate { _ = try Fernet.decrypt(fernetToken, key: fernetKey, ttl: 3600, now: now) }
        let message = [UInt8](0..<32)
        let ecc = try PrivateKey.generate(.ec(.p256))
        let rsa = try PrivateKey.generate(.rsa(bits: 2048))
        let signECC = try rate { _ = try ecc.sign(digest: SHA2.sha256.digest(message), .ecdsa(.sha256)) }
        let signRSA = try rate { _ = try rsa.sign(digest: SHA2.sha256.digest(message), .rsaPSS(.sha256)) }
        let signature = try ecc.sign(digest: SHA2.sha256.digest(message), .ecdsa(.sha256))
        let verifyECC = rate {
            precondition(ecc.publicKey.verify(signature, digest: SHA2.sha256.digest(message), .ecdsa(.sha256)))
        }
        say(String(format: "envelope v1 seal   %10.0f /s  (%d-byte plaintext, with context)", seal, size))
        say(String(format: "envelope v1 open   %10.0f /s", open))
        for (name, figure) in [
            ("sign ECC_NIST_P256", signECC), ("sign RSA_2048 PSS", signRSA), ("verify ECC_NIST_P256", verifyECC),
        ] {
            say(String(format: "%-21@ %10.0f /s  %8.1f us each (32-byte message)", name, figure, 1e6 / figure))
        }
        var python: [String: Double] = [:]
        if let pythonScript {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", pythonScript, "--duration", String(duration), "--size", String(size)]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            python = (try? JSONSerialization.jsonObject(with: output) as? [String: Double]) ?? [:]
        }
        for (name, swift) in [("encrypt", encrypt), ("decrypt", decrypt)] {
            if let other = python[name] {
                say(
                    String(
                        format: "fernet %@    %10.0f /s   python cryptography %10.0f /s   ratio %.2f", name, swift,
                        other, swift / other))
            } else {
                say(String(format: "fernet %@    %10.0f /s", name, swift))
            }
        }
        if let json {
            try writeJSON(
                Figures(
                    plaintextBytes: size, envelopeSeal: seal, envelopeOpen: open, fernetEncrypt: encrypt,
                    fernetDecrypt: decrypt, pythonFernetEncrypt: python["encrypt"],
                    pythonFernetDecrypt: python["decrypt"], signECCP256: signECC, signRSA2048: signRSA,
                    verifyECCP256: verifyECC),
                to: json)
        }
    }
}
