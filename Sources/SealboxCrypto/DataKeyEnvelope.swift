import CSodium

/// Sealbox envelope token, version 2: a value sealed under its own data key, with the data key
/// wrapped (as a version 1 ``Envelope`` token) under a KMS key.
///
/// ```
/// offset size field
///      0    1 version (0x02)
///      1    2 length L of the wrapped data key (uint16, big-endian)
///      3    L wrapped data key: a v1 envelope token sealing the 32-byte data key
///    3+L   24 nonce (random)
///   27+L   16 Poly1305 tag
///   43+L    n ciphertext
/// ```
///
/// The value is sealed under `BLAKE2b-256(key: data key, "sealbox-envelope-v2" || version ||
/// nonce || canonical(context))`. The wrapped key is deliberately outside that derivation: a key
/// rotation re-wraps the data key (``rewrapped(_:with:)``) and leaves the sealed value untouched.
/// Swapping in another wrapped key yields another data key, and the tag fails.
public enum DataKeyEnvelope {
    /// The version byte of this format.
    public static let version: UInt8 = 0x02
    /// Bytes of a data key.
    public static let dataKeyLength = 32
    private static let domain = Array("sealbox-envelope-v2".utf8)

    /// The wrapped data key of a token, without checking anything else.
    /// - Parameter token: a version 2 token.
    public static func wrappedKey(of token: some ContiguousBytes) throws -> [UInt8] {
        try token.withUnsafeBytes { raw in
            let length = try parse(raw)
            return Array(raw[3..<(3 + length)])
        }
    }

    /// Seals `plaintext` under `dataKey`.
    /// - Parameters:
    ///   - plaintext: the value.
    ///   - dataKey: 32 fresh random bytes, used for this value only.
    ///   - wrappedKey: `dataKey` sealed under a KMS key (a v1 token).
    ///   - context: authenticated, not stored.
    ///   - nonce: 24 bytes; random when nil. Pass one only to make test vectors.
    public static func seal(
        _ plaintext: some ContiguousBytes,
        dataKey: SecureBytes,
        wrappedKey: [UInt8],
        context: EncryptionContext,
        nonce: [UInt8]? = nil
    ) throws -> [UInt8] {
        guard dataKey.count == dataKeyLength else {
            throw CryptoError.invalidKeyLength(expected: dataKeyLength, got: dataKey.count)
        }
        guard wrappedKey.count <= Int(UInt16.max) else { throw CryptoError.malformedToken("wrapped key too long") }
        let nonce = nonce ?? Sodium.randomBytes(Envelope.nonceLength)
        let messageKey = try deriveKey(dataKey, nonce: nonce, context: context)
        var token: [UInt8] = [version]
        token.appendBigEndian(UInt16(wrappedKey.count))
        token.append(contentsOf: wrappedKey)
        token.append(contentsOf: nonce)
        let start = token.count
        return plaintext.withUnsafeBytes { message in
            token.append(contentsOf: repeatElement(0, count: Envelope.tagLength + message.count))
            token.withUnsafeMutableBytes { out in
                Secretbox.seal(message, nonce: nonce, key: messageKey, into: out.baseAddress! + start)
            }
            return token
        }
    }

    /// Opens a token with its (already unwrapped) data key.
    /// - Parameters:
    ///   - token: a version 2 token.
    ///   - dataKey: the data key its wrapped key holds.
    ///   - context: the context it was sealed with.
    public static func open(
        _ token: some ContiguousBytes,
        dataKey: SecureBytes,
        context: EncryptionContext
    ) throws -> SecureBytes {
        try open(token, messageKey: messageKey(of: token, dataKey: dataKey, context: context))
    }

    /// The bytes at the start of a token that, with the context, decide its message key: the
    /// version, the wrapped data key and the nonce.
    /// - Parameter token: a version 2 token.
    public static func keyedLength(of token: some ContiguousBytes) throws -> Int {
        try token.withUnsafeBytes { raw in try 3 + parse(raw) + Envelope.nonceLength }
    }

    /// The key a token's value is sealed under, derived from its data key, nonce and context.
    /// - Parameters:
    ///   - token: a version 2 token.
    ///   - dataKey: the data key its wrapped key holds.
    ///   - context: the context it was sealed with.
    public static func messageKey(
        of token: some ContiguousBytes,
        dataKey: SecureBytes,
        context: EncryptionContext
    ) throws -> SecureBytes {
        try token.withUnsafeBytes { raw in
            let nonceStart = try 3 + parse(raw)
            return try deriveKey(
                dataKey, nonce: UnsafeRawBufferPointer(rebasing: raw[nonceStart..<(nonceStart + Envelope.nonceLength)]),
                context: context)
        }
    }

    /// Opens a token with its message key (see ``messageKey(of:dataKey:context:)``).
    /// - Parameters:
    ///   - token: a version 2 token.
    ///   - messageKey: the key its value is sealed under.
    public static func open(_ token: some ContiguousBytes, messageKey: SecureBytes) throws -> SecureBytes {
        guard messageKey.count == Envelope.keyLength else {
            throw CryptoError.invalidKeyLength(expected: Envelope.keyLength, got: messageKey.count)
        }
        return try token.withUnsafeBytes { raw in
            let nonceStart = try 3 + parse(raw)
            return try Secretbox.open(
                UnsafeRawBufferPointer(rebasing: raw[(nonceStart + Envelope.nonceLength)...]),
                nonce: (raw.baseAddress! + nonceStart).assumingMemoryBound(to: UInt8.self), key: messageKey)
        }
    }

    /// The same token with another wrapping of the same data key (after a key rotation).
    /// - Parameters:
    ///   - token: a version 2 token.
    ///   - wrappedKey: the data key sealed under the new KMS key version.
    public static func rewrapped(_ token: [UInt8], with wrappedKey: [UInt8]) throws -> [UInt8] {
        let length = try token.withUnsafeBytes { try parse($0) }
        var out: [UInt8] = [version]
        out.appendBigEndian(UInt16(wrappedKey.count))
        out.append(contentsOf: wrappedKey)
        out.append(contentsOf: token[(3 + length)...])
        return out
    }

    /// Checks the framing and returns the wrapped key's length.
    private static func parse(_ raw: UnsafeRawBufferPointer) throws -> Int {
        guard raw.count >= 3 else { throw CryptoError.malformedToken("token too short") }
        guard raw[0] == version else { throw CryptoError.unsupportedVersion }
        let length = Int(raw.loadBigEndian(at: 1, as: UInt16.self))
        guard length >= Envelope.minimumLength, raw.count >= 3 + length + Envelope.nonceLength + Envelope.tagLength
        else {
            throw CryptoError.malformedToken("token too short")
        }
        return length
    }

    private static func deriveKey(
        _ dataKey: SecureBytes,
        nonce: some ContiguousBytes,
        context: EncryptionContext
    ) throws -> SecureBytes {
        try withUnsafeBytes(of: version) { version in
            try nonce.withUnsafeBytes { nonce in
                try Secretbox.messageKey(under: dataKey, domain: domain, fields: version, nonce, context: context)
            }
        }
    }
}
