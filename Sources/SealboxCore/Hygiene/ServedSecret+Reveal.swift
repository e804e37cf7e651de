import SealboxCrypto

extension ServedSecret {
    /// Decrypts the secret again, into guarded memory, for a hygiene scan.
    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - ssm: the Parameter Store, and through it the Secrets Manager secrets it serves references to.
    ///   - context: an unrestricted context; the caller has checked `admin:Inspect`.
    /// - Returns: the secret with the label findings use; nil if it no longer exists.
    public func reveal(kms: KMS, ssm: SSM, context: RequestContext) -> ProcessInspector.Secret? {
        switch self {
        case .parameter(let name, let scope, let version):
            guard
                let record = ssm.parameters[ParameterAddress(name, in: scope)]?.versions.first(where: {
                    $0.version == version
                }),
                let value = try? ssm.plaintext(of: record, named: name, context)
            else { return nil }
            return ProcessInspector.Secret(label: "parameter \(name) version \(version)", value: value)
        case .secret(let name, let scope, let versionID):
            guard let secrets = ssm.secretsForReferences, let secret = secrets.secrets[Scoped(name, in: scope)],
                let version = secret.versions.first(where: { $0.id == versionID }),
                let value = try? secrets.open(version, of: secret, context)
            else { return nil }
            return ProcessInspector.Secret(label: "secret \(name) version \(versionID)", value: value)
        case .ciphertext(let blob, let encryptionContext, let scope):
            let opening = context.within(scope)
            guard
                let opened = try? kms.decrypt(
                    blob, encryptionContext: EncryptionContext(encryptionContext), expectedKey: nil, context: opening)
            else { return nil }
            let digest = Hex.encode(Digest.sha256(blob).prefix(6))
            return ProcessInspector.Secret(
                label: "KMS plaintext of ciphertext \(digest) (\(opened.keyArn))", value: opened.plaintext)
        case .environment(let name, let token):
            guard
                let value = try? EnvironmentTokens(kms: kms).decrypt(
                    name: name, token: token, keyReference: nil, context: context)
            else { return nil }
            return ProcessInspector.Secret(label: "env \(name)", value: value)
        }
    }
}
