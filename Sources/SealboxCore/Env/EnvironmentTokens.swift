import SealboxCrypto

/// Encrypted environment variables: a handler's configuration carries `NAME=sealbox:v1:...` instead
/// of the plaintext, and the handler asks the daemon to decrypt it during its invocation.
///
/// A `sealbox:v1:` token is the URL-safe base64 of an envelope v2 token (a value under its own data
/// key, the data key wrapped by a KMS key) whose encryption context binds the variable's name, so a
/// token cannot be moved to another variable. `--fernet` tokens are real Fernet tokens, for code
/// that already speaks Fernet; their key is derived from the KMS key's material and never leaves the
/// daemon, and they carry no name binding (Fernet has no associated data).
public struct EnvironmentTokens: Sendable {
    /// The prefix of Sealbox env tokens.
    public static let prefix = "sealbox:v1:"
    /// The key env tokens use when the caller names none; created (customer-managed, so admins can
    /// rotate it) on first use.
    public static let defaultKeyAlias = "alias/sealbox/env"

    package let kms: KMS

    /// - Parameter kms: the KMS service whose keys protect the tokens.
    public init(kms: KMS) {
        self.kms = kms
    }

    /// Encrypts one variable's value.
    /// - Parameters:
    ///   - name: the variable's name (`[A-Za-z_][A-Za-z0-9_]*`).
    ///   - value: the plaintext.
    ///   - keyReference: key id, ARN or alias; ``defaultKeyAlias`` when nil.
    ///   - fernet: emit a Fernet token instead of a `sealbox:v1:` one.
    ///   - context: the caller; needs `env:Encrypt` on the key.
    /// - Returns: the token, without the `NAME=`.
    public func encrypt(
        name: String,
        value: SecureBytes,
        keyReference: String?,
        fernet: Bool,
        context: RequestContext
    ) throws(SealboxError) -> String {
        try Self.validate(name: name)
        let reference = keyReference ?? Self.defaultKeyAlias
        if reference == Self.defaultKeyAlias {
            try kms.ensureManagedKey(
                alias: reference, in: context.scope, description: "Default key for Sealbox environment variable tokens",
                manager: .customer)
        }
        let key = try kms.resolve(reference, context)
        try kms.authorize(key, context)
        try kms.requireUsable(key, context)
        try kms.requireSymmetric(key, "Encrypt", context)
        if fernet {
            guard let material = key.material[key.currentVersion] else {
                throw SealboxError.invalidState("The key has no material")
            }
            do {
                return try Fernet.encrypt(
                    value, key: try Self.fernetKey(material), now: UInt64(kms.clock.now()))
            } catch {
                throw SealboxError.keyServiceFailure("Encryption failed")
            }
        }
        let (token, _) = try kms.sealValue(
            value, keyReference: key.id.description, encryptionContext: Self.context(name), context: context)
        return Self.prefix + Base64.encode(token, variant: .urlSafe)
    }

    /// Decrypts a token made by ``encrypt(name:value:keyReference:fernet:context:)``.
    /// - Parameters:
    ///   - name: the variable's name; must be the one the token was made for (`sealbox:v1:` tokens).
    ///   - token: the token.
    ///   - keyReference: for Fernet tokens, the key they were made under (``defaultKeyAlias`` when
    ///     nil); `sealbox:v1:` tokens name their key themselves.
    ///   - context: the caller; needs `env:Decrypt` on the key.
    /// - Returns: the plaintext, in guarded memory.
    public func decrypt(
        name: String,
        token: String,
        keyReference: String?,
        context: RequestContext
    ) throws(SealboxError) -> SecureBytes {
        try Self.validate(name: name)
        let value: SecureBytes
        if token.hasPrefix(Self.prefix) {
            let ciphertext = try Self.payload(of: token)
            guard let key = kms.ciphertextKey(ciphertext, in: context.scope) else {
                throw SealboxError.invalidCiphertext
            }
            try kms.authorize(key, context)
            value = try kms.open(
                ciphertext, encryptionContext: Self.context(name), expectedKey: nil, found: key, context: context
            ).plaintext
        } else {
            value = try decryptFernet(token, keyReference: keyReference ?? Self.defaultKeyAlias, context: context)
        }
        context.trail?.served(.environment(name: name, token: token))
        return value
    }

    /// Re-wraps a `sealbox:v1:` token's data key under its key's current version, without decrypting
    /// the value, so the token survives the retirement of older versions.
    /// - Parameters:
    ///   - name: the variable's name.
    ///   - token: the token.
    ///   - context: the caller; needs `env:Encrypt` on the key.
    /// - Returns: the new token, or the same one when it already uses the current version.
    public func rewrap(name: String, token: String, context: RequestContext) throws(SealboxError) -> String {
        try Self.validate(name: name)
        let ciphertext = try Self.payload(of: token)
        guard let key = kms.ciphertextKey(ciphertext, in: context.scope) else { throw SealboxError.invalidCiphertext }
        try kms.authorize(key, context)
        try kms.requireUsable(key, context)
        try kms.requireSymmetric(key, "Encrypt", context)
        guard
            let rewrapped = try kms.rewrapDataKey(
                ciphertext, in: context.scope, encryptionContext: Self.context(name))
        else {
            return token
        }
        return Self.prefix + Base64.encode(rewrapped, variant: .urlSafe)
    }

    private func decryptFernet(_ token: String, keyReference: String, context: RequestContext) throws(SealboxError)
        -> SecureBytes
    {
        let key = try kms.resolve(keyReference, context)
        try kms.authorize(key, context)
        try kms.requireUsable(key, context)
        try kms.requireSymmetric(key, "Decrypt", context)
        let now = UInt64(kms.clock.now())
        let floor = key.record.minDecryptionVersion ?? 0
        // Fernet tokens name no key version: try the newest first.
        for version in key.versions.reversed().map(\.version) where version >= floor {
            guard let material = key.material[version], let fernetKey = try? Self.fernetKey(material) else { continue }
            if let plaintext = try? Fernet.decrypt(Array(token.utf8), key: fernetKey, now: now) {
                return plaintext
            }
        }
        throw SealboxError.invalidCiphertext
    }

    /// The Fernet key of one KMS key version: HMAC-SHA256 of a fixed label under the material.
    static func fernetKey(_ material: SecureBytes) throws -> FernetKey {
        try FernetKey(raw: Digest.hmacSHA256Secure(key: material, Array("sealbox-env-fernet-v1".utf8)))
    }

    static func context(_ name: String) -> EncryptionContext {
        EncryptionContext(["sealbox:env": name])
    }

    private static func payload(of token: String) throws(SealboxError) -> [UInt8] {
        guard token.hasPrefix(prefix),
            let bytes = try? Base64.decode(Array(token.utf8.dropFirst(prefix.utf8.count)), variant: .urlSafe),
            bytes.first == DataKeyEnvelope.version
        else { throw SealboxError.invalidCiphertext }
        return bytes
    }

    private static func validate(name: String) throws(SealboxError) {
        let bytes = Array(name.utf8)
        let valid =
            !bytes.isEmpty && bytes.count <= 256
            && bytes.enumerated().allSatisfy { index, byte in
                byte == UInt8(ascii: "_") || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
                    || (index > 0 && (0x30...0x39).contains(byte))
            }
        guard valid else {
            throw SealboxError.validation(
                "The variable name must match [A-Za-z_][A-Za-z0-9_]* and be at most 256 characters.")
        }
    }
}
