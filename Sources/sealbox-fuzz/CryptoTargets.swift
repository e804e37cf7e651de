import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// The token formats: what an attacker who can hand the daemon a ciphertext controls.
enum CryptoTargets {
    private static let key = SecureBytes(copying: Array(0..<32))
    private static let keyID = KeyID.random()
    private static let context = EncryptionContext(["PARAMETER_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/x"])
    /// Raw Fernet key bytes: the first 16 sign, the last 16 encrypt.
    private static let fernetRaw: [UInt8] = Array(100..<132)
    private static let fernetKey = try! FernetKey(raw: SecureBytes(copying: fernetRaw))
    private static let now: UInt64 = 1_800_000_000

    /// The first byte picks what to do with the rest.
    static func envelope(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        switch mode % 4 {
        case 0:
            _ = try? Envelope.header(of: rest)
            _ = try? Envelope.open(rest, key: key, context: context)
        case 1:
            _ = try? DataKeyEnvelope.wrappedKey(of: rest)
            _ = try? DataKeyEnvelope.open(rest, dataKey: key, context: context)
            _ = try? DataKeyEnvelope.rewrapped(rest, with: Array(rest.prefix(40)))
        case 2:
            // Round trip, then one flipped bit: the tamper must be caught.
            let token = try! Envelope.seal(
                rest, key: key, keyID: keyID, keyVersion: 1, context: context, timestamp: now)
            let opened = try! Envelope.open(token, key: key, context: context)
            precondition(opened.withUnsafeBytes { Array($0) } == rest, "an envelope did not round-trip")
            var tampered = token
            let position = Int(rest.first ?? 0) % tampered.count
            tampered[position] ^= 1 << ((rest.last ?? 0) % 8)
            precondition(
                (try? Envelope.open(tampered, key: key, context: context)) == nil, "a tampered envelope opened")
        default:
            // A sealbox:v1 environment token, through KMS as the daemon opens it.
            let stack = FuzzStack.shared()
            let token = EnvironmentTokens.prefix + String(decoding: rest, as: UTF8.self)
            _ = try? EnvironmentTokens(kms: stack.kms).decrypt(
                name: "FUZZ", token: token, keyReference: nil, context: stack.context)
        }
    }

    /// The first byte picks: a token as text, a token whose MAC the harness makes valid (so the
    /// fuzzer reaches decryption and padding), or a round trip.
    static func fernet(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        switch mode % 3 {
        case 0:
            _ = try? Fernet.decrypt(rest, key: fernetKey, ttl: 60, now: now)
        case 1:
            let signed = [0x80] + rest
            let mac = Digest.hmacSHA256(key: Array(fernetRaw[0..<16]), signed)
            let token = Array(Base64.encode(signed + mac, variant: .urlSafe).utf8)
            _ = try? Fernet.decrypt(token, key: fernetKey, ttl: nil, now: now)
        default:
            let token = try! Fernet.encrypt(rest, key: fernetKey, now: now)
            let opened = try! Fernet.decrypt(Array(token.utf8), key: fernetKey, ttl: 60, now: now)
            precondition(opened.withUnsafeBytes { Array($0) } == rest, "a Fernet token did not round-trip")
        }
    }

    /// Key encodings a caller or a fixture file hands the daemon: the first byte picks DER private
    /// key (fixtures, imports), DER SubjectPublicKeyInfo (DeriveSharedSecret), PEM (fixtures) or an
    /// opened import token's body. What parses must round-trip and, for a public key on P-256, agree
    /// with the fuzz stack's ECDH key.
    static func keys(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        switch mode % 4 {
        case 0:
            guard let key = try? PrivateKey(der: rest) else { return }
            let again = try! PrivateKey(der: try! key.pkcs8())
            precondition(again.publicKey.der == key.publicKey.der, "a private key did not round-trip")
        case 1:
            guard let key = try? PublicKey(der: rest) else { return }
            precondition(try! PublicKey(der: key.der).spec == key.spec, "a public key did not round-trip")
            let stack = FuzzStack.shared()
            if let agreement = stack.kms.keys.values.first(where: { $0.record.usage == .keyAgreement }) {
                _ = try? stack.kms.deriveSharedSecret(rest, key: agreement, context: stack.context)
            }
        case 2:
            _ = try? PrivateKey(pem: String(decoding: rest, as: UTF8.self))
        default:
            if let token = rest.withUnsafeBytes({ ImportToken.parse($0) }) {
                precondition(token.wrappingKey.spec.modulusBytes != nil, "an import token without an RSA key")
            }
        }
    }
}
