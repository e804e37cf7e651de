import CSodium

/// libsodium's secretbox (XSalsa20-Poly1305) and the keyed BLAKE2b that derives a message's key, as
/// both envelope formats use them. Each call is followed by a ``StackWipe``: secretbox leaves the
/// first bytes of the message and keystream in its locals, and BLAKE2b its key block.
enum Secretbox {
    /// BLAKE2b-256, keyed by `key`, of `domain`, then `fields`, then the context's canonical bytes:
    /// the key one message is sealed under.
    /// - Parameters:
    ///   - key: the key material (a KMS key version or a data key).
    ///   - domain: the format's domain string.
    ///   - fields: the token's bytes that bind the message (its header, or its version and nonce).
    ///   - context: the encryption context.
    static func messageKey(
        under key: SecureBytes, domain: [UInt8], fields: UnsafeRawBufferPointer..., context: EncryptionContext
    ) throws -> SecureBytes {
        var input: [UInt8] = []
        input.reserveCapacity(domain.count + fields.reduce(0) { $0 + $1.count } + context.canonicalCount)
        input.append(contentsOf: domain)
        for field in fields { input.append(contentsOf: field) }
        context.appendCanonicalBytes(to: &input)
        return try SecureBytes(count: Envelope.keyLength) { out in
            key.withUnsafeBytes { k in
                _ = crypto_generichash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), Envelope.keyLength, input,
                    UInt64(input.count), k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
            }
            StackWipe.afterCryptoCall()
        }
    }

    /// Seals `message` into `out`: the tag, then the ciphertext (`message.count` + tag bytes).
    /// - Parameters:
    ///   - message: the plaintext.
    ///   - nonce: 24 bytes.
    ///   - key: the message key.
    ///   - out: room for the tag and the ciphertext.
    static func seal(
        _ message: UnsafeRawBufferPointer, nonce: UnsafePointer<UInt8>, key: SecureBytes,
        into out: UnsafeMutableRawPointer
    ) {
        key.withUnsafeBytes { k in
            _ = crypto_secretbox_easy(
                out.assumingMemoryBound(to: UInt8.self),
                (message.baseAddress ?? UnsafeRawPointer(out)).assumingMemoryBound(to: UInt8.self),
                UInt64(message.count), nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        StackWipe.afterCryptoCall()
    }

    /// Opens `boxed` (the tag, then the ciphertext) into guarded memory.
    /// - Parameters:
    ///   - boxed: at least the tag's bytes.
    ///   - nonce: 24 bytes.
    ///   - key: the message key.
    /// - Throws: `CryptoError.authenticationFailed` when the tag does not verify.
    static func open(_ boxed: UnsafeRawBufferPointer, nonce: UnsafePointer<UInt8>, key: SecureBytes) throws
        -> SecureBytes
    {
        try SecureBytes(count: boxed.count - Envelope.tagLength) { out in
            let status = key.withUnsafeBytes { k in
                crypto_secretbox_open_easy(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    boxed.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(boxed.count), nonce,
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            StackWipe.afterCryptoCall()
            guard status == 0 else { throw CryptoError.authenticationFailed }
        }
    }
}
