import SealboxCrypto

/// The import token of `GetParametersForImport`: the RSA wrapping key's private half, the wrapping
/// algorithm and an expiry, sealed under the root key and bound to one KMS key. The daemon keeps no
/// state for it, so a token survives a restart; a root key rotation ends every outstanding token.
package struct ImportToken {
    /// How long a token (and its public key) may be used, as in AWS.
    static let lifetime: Double = 86_400
    private static let format: UInt8 = 1

    /// What the caller wraps with.
    package let algorithm: WrappingAlgorithm
    /// When the token stops working.
    package let expires: Double
    /// The RSA key the material is wrapped for.
    package let wrappingKey: PrivateKey

    /// The token for `key`, sealed under `root`.
    func seal(for key: KeyID, root: SecureBytes, now: Double) throws -> [UInt8] {
        let pkcs8 = try wrappingKey.pkcs8()
        let header = 10
        let body = try SecureBytes(count: header + pkcs8.count) { out in
            out[0] = Self.format
            out[1] = algorithm.code
            withUnsafeBytes(of: UInt64(expires).bigEndian) {
                out.baseAddress!.advanced(by: 2).copyMemory(from: $0.baseAddress!, byteCount: 8)
            }
            pkcs8.withUnsafeBytes {
                out.baseAddress!.advanced(by: header).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
        }
        return try Envelope.seal(
            body, key: root, keyID: key, keyVersion: 0, context: Self.context(key), timestamp: UInt64(now))
    }

    /// Opens a token made for `key`.
    /// - Throws: nil when the token was not made by this daemon's root key for this key.
    static func open(_ token: [UInt8], for key: KeyID, root: SecureBytes) -> ImportToken? {
        guard let header = try? Envelope.keyReference(of: token), header.keyID == key, header.keyVersion == 0,
            let body = try? Envelope.open(token, key: root, context: context(key))
        else { return nil }
        return body.withUnsafeBytes { parse($0) }
    }

    /// Reads an opened token's body: format, algorithm, expiry, then the wrapping key's PKCS#8.
    /// - Parameter bytes: the body, as ``seal(for:root:now:)`` wrote it.
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> ImportToken? {
        guard bytes.count > 10, bytes[0] == format, let algorithm = WrappingAlgorithm(code: bytes[1]) else {
            return nil
        }
        let expires = bytes[2..<10].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard let key = try? PrivateKey(der: UnsafeRawBufferPointer(rebasing: bytes[10...])),
            key.spec.modulusBytes != nil
        else { return nil }
        return ImportToken(algorithm: algorithm, expires: Double(expires), wrappingKey: key)
    }

    private static func context(_ key: KeyID) -> EncryptionContext {
        EncryptionContext(["sealbox:import-token": key.description])
    }
}

/// How key material is wrapped for import (`WrappingAlgorithm`), as AWS names them.
public enum WrappingAlgorithm: String, Sendable, CaseIterable {
    case rsaesPKCS1 = "RSAES_PKCS1_V1_5"
    case rsaesOAEPSHA1 = "RSAES_OAEP_SHA_1"
    case rsaesOAEPSHA256 = "RSAES_OAEP_SHA_256"
    case rsaAESKeyWrapSHA1 = "RSA_AES_KEY_WRAP_SHA_1"
    case rsaAESKeyWrapSHA256 = "RSA_AES_KEY_WRAP_SHA_256"
    case sm2pke = "SM2PKE"

    /// The OAEP hash of the RSA step; nil for the algorithms Sealbox does not take.
    public var oaep: OAEPHash? {
        switch self {
        case .rsaesOAEPSHA1, .rsaAESKeyWrapSHA1: .sha1
        case .rsaesOAEPSHA256, .rsaAESKeyWrapSHA256: .sha256
        case .rsaesPKCS1, .sm2pke: nil
        }
    }

    /// Whether the RSA step wraps an AES key that wraps the material (RFC 5649).
    public var wrapsWithAES: Bool { self == .rsaAESKeyWrapSHA1 || self == .rsaAESKeyWrapSHA256 }

    var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }

    init?(code: UInt8) {
        guard Int(code) < Self.allCases.count else { return nil }
        self = Self.allCases[Int(code)]
    }
}
