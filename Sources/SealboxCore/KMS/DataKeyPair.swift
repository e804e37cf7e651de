import SealboxCrypto

// GenerateDataKeyPair: a fresh key pair whose private key (PKCS#8 DER) is encrypted under a
// symmetric KMS key, as AWS does, so Decrypt of the blob with the same context returns it.
extension KMS {
    /// The key pair specs AWS lists (`DataKeyPairSpec`), and the key type each makes; nil for SM2,
    /// which AWS offers only in its China regions.
    public static let dataKeyPairSpecs: [(name: String, spec: AsymmetricKeySpec?)] = [
        ("RSA_2048", .rsa(bits: 2048)), ("RSA_3072", .rsa(bits: 3072)), ("RSA_4096", .rsa(bits: 4096)),
        ("ECC_NIST_P256", .ec(.p256)), ("ECC_NIST_P384", .ec(.p384)), ("ECC_NIST_P521", .ec(.p521)),
        ("ECC_SECG_P256K1", .ec(.secp256k1)), ("SM2", nil), ("ECC_NIST_EDWARDS25519", .ed25519),
    ]

    /// A data key pair whose private key is sealed under the symmetric key `reference` names.
    /// - Parameters:
    ///   - spec: one of ``dataKeyPairSpecs``' names.
    ///   - reference: key id, ARN or alias of a symmetric ENCRYPT_DECRYPT key.
    ///   - encryptionContext: bound to the sealed private key.
    ///   - context: the caller.
    /// - Returns: the sealed private key, the private key (PKCS#8 DER in guarded memory), the public
    ///   key (DER SubjectPublicKeyInfo), and the sealing key's ARN and material id.
    package func generateDataKeyPair(
        _ spec: String, keyReference reference: String, encryptionContext: EncryptionContext, context: RequestContext
    ) throws(SealboxError) -> (
        ciphertext: [UInt8], privateKey: SecureBytes, publicKey: [UInt8], keyArn: String, materialID: String
    ) {
        guard let entry = Self.dataKeyPairSpecs.first(where: { $0.name == spec }) else {
            throw SealboxError.validation("KeyPairSpec \(spec) is not valid.")
        }
        guard let pairSpec = entry.spec else {
            throw SealboxError.unsupportedOperation("\(spec) key pairs are offered only in AWS's China regions.")
        }
        let pkcs8: SecureBytes
        let publicKey: [UInt8]
        do {
            let pair = try PrivateKey.generate(pairSpec)
            (pkcs8, publicKey) = (try pair.pkcs8(), pair.publicKey.der)
        } catch {
            throw SealboxError.keyServiceFailure("The key pair could not be generated")
        }
        let (ciphertext, arn, materialID) = try encrypt(
            pkcs8, keyReference: reference, encryptionContext: encryptionContext, context: context)
        return (ciphertext, pkcs8, publicKey, arn, materialID)
    }
}
