import CLibCrypto

/// HMAC (RFC 2104) with SHA-224, SHA-256, SHA-384 or SHA-512, for KMS HMAC keys. Like ``Digest``,
/// it calls OpenSSL's low-level SHA-2 functions, not EVP (see `CLibCrypto`); the key pads and hash
/// states live on the stack and are wiped after use.
public enum HMAC {
    /// The hash under the MAC.
    public enum Hash: Sendable, CaseIterable {
        case sha224, sha256, sha384, sha512

        /// The MAC's length in bytes.
        public var length: Int {
            switch self {
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        /// The hash's block size, which a longer key is hashed down to fit.
        var blockSize: Int {
            switch self {
            case .sha224, .sha256: 64
            case .sha384, .sha512: 128
            }
        }
    }

    /// The HMAC of `message` under `key`.
    /// - Parameters:
    ///   - hash: the hash function.
    ///   - key: the MAC key, in guarded memory.
    ///   - message: the input.
    /// - Returns: the MAC, `hash.length` bytes (a MAC is public).
    public static func mac(_ hash: Hash, key: SecureBytes, _ message: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: hash.length)
        key.withUnsafeBytes { key in
            message.withUnsafeBytes { message in
                out.withUnsafeMutableBytes { mac(hash, key: key, message, into: $0) }
            }
        }
        return out
    }

    /// Whether `candidate` is the HMAC of `message` under `key`, compared in constant time.
    /// - Parameters:
    ///   - candidate: the MAC to check.
    ///   - hash: the hash function.
    ///   - key: the MAC key, in guarded memory.
    ///   - message: the input.
    public static func verify(
        _ candidate: some ContiguousBytes, _ hash: Hash, key: SecureBytes, _ message: some ContiguousBytes
    ) -> Bool {
        let expected = mac(hash, key: key, message)
        return expected.withUnsafeBytes { expected in
            candidate.withUnsafeBytes { Sodium.constantTimeEquals(expected, $0) }
        }
    }

    private static func mac(
        _ hash: Hash,
        key: UnsafeRawBufferPointer,
        _ message: UnsafeRawBufferPointer,
        into out: UnsafeMutableRawBufferPointer
    ) {
        let blockSize = hash.blockSize
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockSize + hash.length) { scratch in
            let scratch = UnsafeMutableRawBufferPointer(scratch)
            // The pads are the key in disguise, the inner digest as good as a MAC of anything.
            defer { Sodium.zero(scratch) }
            let block = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<blockSize])
            let inner = UnsafeMutableRawBufferPointer(rebasing: scratch[blockSize...])
            block.initializeMemory(as: UInt8.self, repeating: 0)
            if key.count > blockSize {
                digest(hash, key, into: block)
            } else if !key.isEmpty {
                block.copyMemory(from: key)
            }
            for index in block.indices { block[index] ^= 0x36 }
            digest(hash, UnsafeRawBufferPointer(block), message, into: inner)
            for index in block.indices { block[index] ^= 0x36 ^ 0x5c }
            digest(hash, UnsafeRawBufferPointer(block), UnsafeRawBufferPointer(inner), into: out)
        }
    }

    /// The digest of `first` then `second`, into the first `hash.length` bytes of `out`.
    private static func digest(
        _ hash: Hash,
        _ first: UnsafeRawBufferPointer,
        _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        into out: UnsafeMutableRawBufferPointer
    ) {
        precondition(out.count >= hash.length)
        let output = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var done: Bool
        switch hash {
        case .sha224, .sha256:
            var state = SHA256_CTX()
            done = (hash == .sha224 ? SHA224_Init(&state) : SHA256_Init(&state)) == 1
            if done, !first.isEmpty { done = SHA256_Update(&state, first.baseAddress, first.count) == 1 }
            if done, !second.isEmpty { done = SHA256_Update(&state, second.baseAddress, second.count) == 1 }
            done = done && (hash == .sha224 ? SHA224_Final(output, &state) : SHA256_Final(output, &state)) == 1
            withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
        case .sha384, .sha512:
            var state = SHA512_CTX()
            done = (hash == .sha384 ? SHA384_Init(&state) : SHA512_Init(&state)) == 1
            if done, !first.isEmpty { done = SHA512_Update(&state, first.baseAddress, first.count) == 1 }
            if done, !second.isEmpty { done = SHA512_Update(&state, second.baseAddress, second.count) == 1 }
            done = done && (hash == .sha384 ? SHA384_Final(output, &state) : SHA512_Final(output, &state)) == 1
            withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
        }
        precondition(done, "SHA-2 failed")
    }
}
