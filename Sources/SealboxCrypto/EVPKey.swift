import CLibCrypto

/// Owns one libcrypto `EVP_PKEY`, shared read-only by the ``PrivateKey`` and ``PublicKey`` made
/// from it: libcrypto allows concurrent operations on a key that no thread changes.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer
    let spec: AsymmetricKeySpec

    /// Takes ownership of `pointer`; refuses key types and sizes KMS does not have.
    init(taking pointer: OpaquePointer) throws {
        self.pointer = pointer
        do {
            spec = try Self.spec(of: pointer)
        } catch {
            EVP_PKEY_free(pointer)
            throw error
        }
    }

    deinit { EVP_PKEY_free(pointer) }

    private static func spec(of key: OpaquePointer) throws -> AsymmetricKeySpec {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA:
            let bits = Int(EVP_PKEY_get_bits(key))
            guard AsymmetricKeySpec.rsaSizes.contains(bits) else {
                throw CryptoError.invalidKey("an RSA key of \(bits) bits; KMS has 2048, 3072 and 4096")
            }
            return .rsa(bits: bits)
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1,
                let curve = EllipticCurve(groupName: String(decoding: name[..<length].map(UInt8.init), as: UTF8.self))
            else {
                throw CryptoError.invalidKey("an EC key on a curve KMS does not have")
            }
            return .ec(curve)
        case EVP_PKEY_ED25519:
            return .ed25519
        default:
            throw CryptoError.invalidKey("a key type KMS does not have")
        }
    }

    /// A fresh operation context on this key; freed by the caller.
    func context() throws -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) else {
            throw LibCrypto.failure("EVP_PKEY_CTX_new_from_pkey")
        }
        return context
    }

    /// The key's public half as DER SubjectPublicKeyInfo.
    func subjectPublicKeyInfo() throws -> [UInt8] {
        let length = i2d_PUBKEY(pointer, nil)
        guard length > 0 else { throw LibCrypto.failure("i2d_PUBKEY") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(pointer, &cursor)
        }
        guard written == length else { throw LibCrypto.failure("i2d_PUBKEY") }
        return out
    }

    /// Sets the padding and hash of an RSA or ECDSA signature operation.
    static func configure(_ context: OpaquePointer, _ scheme: SignatureScheme) throws {
        guard EVP_PKEY_CTX_set_signature_md(context, scheme.hash.evp) == 1 else {
            throw LibCrypto.failure("EVP_PKEY_CTX_set_signature_md")
        }
        switch scheme {
        case .rsaPSS:
            guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(context, RSA_PSS_SALTLEN_DIGEST) == 1
            else { throw LibCrypto.failure("EVP_PKEY_CTX_set_rsa_pss_saltlen") }
        case .rsaPKCS1:
            guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1 else {
                throw LibCrypto.failure("EVP_PKEY_CTX_set_rsa_padding")
            }
        case .ecdsa:
            break
        }
    }

    /// Sets RSAES-OAEP with `hash` for the label and MGF1.
    static func configure(_ context: OpaquePointer, _ hash: OAEPHash) throws {
        guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING) == 1,
            EVP_PKEY_CTX_set_rsa_oaep_md(context, hash.evp) == 1,
            EVP_PKEY_CTX_set_rsa_mgf1_md(context, hash.evp) == 1
        else { throw LibCrypto.failure("EVP_PKEY_CTX_set_rsa_oaep_md") }
    }

    /// The signature schemes this key's type can use, with every SHA-2 hash.
    var schemes: [SignatureScheme] {
        switch spec {
        case .rsa: SHA2.allCases.flatMap { [SignatureScheme.rsaPSS($0), .rsaPKCS1($0)] }
        case .ec: SHA2.allCases.map { .ecdsa($0) }
        case .ed25519: []
        }
    }

    /// A pool per signature scheme of this key's type, each set up by `initialise` for its scheme.
    func signaturePools(_ initialise: @escaping @Sendable (OpaquePointer) -> Int32, _ name: String)
        -> [SignatureScheme: EVPContextPool]
    {
        Dictionary(uniqueKeysWithValues: schemes.map { ($0, pool(initialise, name, scheme: $0)) })
    }

    /// A pool per OAEP hash for an RSA key, each set up by `initialise` for its hash; none for others.
    func oaepPools(_ initialise: @escaping @Sendable (OpaquePointer) -> Int32, _ name: String)
        -> [OAEPHash: EVPContextPool]
    {
        guard spec.modulusBytes != nil else { return [:] }
        return Dictionary(
            uniqueKeysWithValues: [OAEPHash.sha1, .sha256].map { ($0, pool(initialise, name, oaep: $0)) })
    }

    /// A pool of contexts set up by `initialise` and, if given, for `scheme` or `hash`.
    func pool(
        _ initialise: @escaping @Sendable (OpaquePointer) -> Int32, _ name: String,
        scheme: SignatureScheme? = nil, oaep hash: OAEPHash? = nil
    ) -> EVPContextPool {
        EVPContextPool { [self] in
            let context = try self.context()
            do {
                guard initialise(context) == 1 else { throw LibCrypto.failure(name) }
                if let scheme { try Self.configure(context, scheme) }
                if let hash { try Self.configure(context, hash) }
                return context
            } catch {
                EVP_PKEY_CTX_free(context)
                throw error
            }
        }
    }
}

/// libcrypto's error queue, emptied after each failure so that no thread's queue grows.
enum LibCrypto {
    static func failure(_ call: String) -> CryptoError {
        ERR_clear_error()
        return .libcrypto(call)
    }
}
