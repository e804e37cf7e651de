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

    /// Whether `scheme` suits this key: RSA schemes for RSA keys, ECDSA for EC keys.
    func accepts(_ scheme: SignatureScheme) -> Bool {
        switch (spec, scheme) {
        case (.rsa, .rsaPSS), (.rsa, .rsaPKCS1), (.ec, .ecdsa): true
        default: false
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
