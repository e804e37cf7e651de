import CSodium

/// Sealbox envelope token, version 1: libsodium `crypto_secretbox` (XSalsa20-Poly1305) in a
/// Fernet-like framing.
///
/// ```
/// offset size field
///      0    1 version (0x01)
///      1   16 key id (UUID bytes)
///     17    4 key version (uint32, big-endian)
///     21    8 timestamp (uint64 seconds since the epoch, big-endian)
///     29   24 nonce (random)
///     53   16 Poly1305 tag
///     69    n ciphertext
/// ```
///
/// secretbox has no associated data, so the header and the encryption context are bound through the
/// key: each token is sealed under `BLAKE2b-256(key: material, "sealbox-envelope-v1" || header ||
/// canonical(context))`. Changing any header bit, or opening with another context, derives another
/// key and the tag fails. See `docs/envelope-format.md`.
public enum Envelope {
    /// The version byte of this format.
    public static let version: UInt8 = 0x01
    /// Bytes before the sealed box.
    public static let headerLength = 53
    /// Bytes of the Poly1305 tag.
    public static let tagLength = Int(crypto_secretbox_MACBYTES)
    /// Bytes of a key.
    public static let keyLength = Int(crypto_secretbox_KEYBYTES)
    /// Bytes of a nonce.
    public static let nonceLength = Int(crypto_secretbox_NONCEBYTES)
    /// The shortest well-formed token (empty plaintext).
    public static let minimumLength = headerLength + tagLength
    private static let domain = Array("sealbox-envelope-v1".utf8)

    /// The public fields of a token, readable without the key.
    public struct Header: Hashable, Sendable {
        /// The version byte.
        public var version: UInt8
        /// The id of the key that sealed the token.
        public var keyID: KeyID
        /// The version of that key's material.
        public var keyVersion: UInt32
        /// When the token was sealed, in seconds since the epoch.
        public var timestamp: UInt64
        /// The 24-byte nonce.
        public var nonce: [UInt8]

        /// - Parameters:
        ///   - keyID: the sealing key's id.
        ///   - keyVersion: the sealing key's material version.
        ///   - timestamp: seconds since the epoch.
        ///   - nonce: 24 bytes.
        public init(keyID: KeyID, keyVersion: UInt32, timestamp: UInt64, nonce: [UInt8]) {
            self.version = Envelope.version
            self.keyID = keyID
            self.keyVersion = keyVersion
            self.timestamp = timestamp
            self.nonce = nonce
        }

        var bytes: [UInt8] {
            var out: [UInt8] = [version]
            out.reserveCapacity(Envelope.headerLength)
            keyID.withUnsafeBytes { out.append(contentsOf: $0) }
            out.appendBigEndian(keyVersion)
            out.appendBigEndian(timestamp)
            out.append(contentsOf: nonce)
            return out
        }
    }

    /// Reads the header of a token without checking its tag.
    /// - Parameter token: the token bytes.
    /// - Throws: `CryptoError` if the token is too short or of another version.
    public static func header(of token: some ContiguousBytes) throws -> Header {
        try token.withUnsafeBytes { raw in
            try checkHeader(raw)
            var header = Header(
                keyID: KeyID(raw: UnsafeRawBufferPointer(rebasing: raw[1..<17])),
                keyVersion: raw.loadBigEndian(at: 17, as: UInt32.self),
                timestamp: raw.loadBigEndian(at: 21, as: UInt64.self),
                nonce: Array(raw[29..<53]))
            header.version = raw[0]
            return header
        }
    }

    /// The key id and material version of a token: what finding its key needs, without the copy
    /// of the nonce that ``header(of:)`` makes.
    /// - Parameter token: the token bytes.
    /// - Throws: `CryptoError` if the token is too short or of another version.
    public static func keyReference(of token: some ContiguousBytes) throws -> (keyID: KeyID, keyVersion: UInt32) {
        try token.withUnsafeBytes { raw in
            try checkHeader(raw)
            return (
                KeyID(raw: UnsafeRawBufferPointer(rebasing: raw[1..<17])), raw.loadBigEndian(at: 17, as: UInt32.self)
            )
        }
    }

    /// What ``header(of:)`` checks, without copying the key id and nonce out.
    private static func checkHeader(_ raw: UnsafeRawBufferPointer) throws {
        guard raw.count >= minimumLength else { throw CryptoError.malformedToken("token too short") }
        guard raw[0] == version else { throw CryptoError.unsupportedVersion }
    }

    /// Seals `plaintext` under `key`.
    /// - Parameters:
    ///   - plaintext: the bytes to protect.
    ///   - key: 32 bytes of key material.
    ///   - keyID: recorded in the header so the opener can find the key.
    ///   - keyVersion: recorded in the header so older material still opens old tokens.
    ///   - context: authenticated, not stored; the opener must present the same.
    ///   - timestamp: seconds since the epoch.
    ///   - nonce: 24 bytes; random when nil. Pass one only to make test vectors.
    /// - Returns: the token.
    public static func seal(
        _ plaintext: some ContiguousBytes,
        key: SecureBytes,
        keyID: KeyID,
        keyVersion: UInt32,
        context: EncryptionContext = EncryptionContext(),
        timestamp: UInt64,
        nonce: [UInt8]? = nil
    ) throws -> [UInt8] {
        try Sodium.ensureInitialised()
        guard key.count == keyLength else { throw CryptoError.invalidKeyLength(expected: keyLength, got: key.count) }
        let nonce = nonce ?? Sodium.randomBytes(nonceLength)
        precondition(nonce.count == nonceLength, "nonce must be 24 bytes")
        let header = Header(keyID: keyID, keyVersion: keyVersion, timestamp: timestamp, nonce: nonce).bytes
        let messageKey = try deriveKey(key, header: header, context: context)
        return plaintext.withUnsafeBytes { message in
            var token = header
            token.append(contentsOf: repeatElement(0, count: tagLength + message.count))
            token.withUnsafeMutableBytes { out in
                Secretbox.seal(message, nonce: nonce, key: messageKey, into: out.baseAddress! + headerLength)
            }
            return token
        }
    }

    /// Opens a token into guarded memory.
    /// - Parameters:
    ///   - token: the token bytes.
    ///   - key: the material named by the token's key id and key version.
    ///   - context: the context the token was sealed with.
    /// - Throws: `CryptoError.authenticationFailed` on any mismatch; nothing is returned then.
    public static func open(
        _ token: some ContiguousBytes,
        key: SecureBytes,
        context: EncryptionContext = EncryptionContext()
    ) throws -> SecureBytes {
        try open(token, messageKey: messageKey(of: token, key: key, context: context))
    }

    /// The key a token's message is sealed under, derived from the key material, the token's header
    /// (which holds its nonce) and the context.
    /// - Parameters:
    ///   - token: the token bytes; only the header is read.
    ///   - key: the material named by the token's key id and key version.
    ///   - context: the context the token was sealed with.
    public static func messageKey(
        of token: some ContiguousBytes,
        key: SecureBytes,
        context: EncryptionContext
    ) throws -> SecureBytes {
        try token.withUnsafeBytes { raw in
            try checkHeader(raw)
            guard key.count == keyLength else {
                throw CryptoError.invalidKeyLength(expected: keyLength, got: key.count)
            }
            return try deriveKey(key, header: UnsafeRawBufferPointer(rebasing: raw[0..<headerLength]), context: context)
        }
    }

    /// Opens a token with its message key (see ``messageKey(of:key:context:)``).
    /// - Parameters:
    ///   - token: the token bytes.
    ///   - messageKey: the key its message is sealed under.
    /// - Throws: `CryptoError.authenticationFailed` on any mismatch; nothing is returned then.
    public static func open(_ token: some ContiguousBytes, messageKey: SecureBytes) throws -> SecureBytes {
        guard messageKey.count == keyLength else {
            throw CryptoError.invalidKeyLength(expected: keyLength, got: messageKey.count)
        }
        return try token.withUnsafeBytes { raw in
            try checkHeader(raw)
            return try Secretbox.open(
                UnsafeRawBufferPointer(rebasing: raw[headerLength...]),
                nonce: (raw.baseAddress! + 29).assumingMemoryBound(to: UInt8.self), key: messageKey)
        }
    }

    private static func deriveKey(
        _ key: SecureBytes,
        header: some ContiguousBytes,
        context: EncryptionContext
    ) throws -> SecureBytes {
        try header.withUnsafeBytes {
            try Secretbox.messageKey(under: key, domain: domain, fields: $0, context: context)
        }
    }
}
