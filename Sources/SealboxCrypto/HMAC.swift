import CLibCrypto

/// HMAC (RFC 2104) with SHA-224, SHA-256, SHA-384 or SHA-512, for KMS HMAC keys. Like ``Digest``,
/// it calls OpenSSL's low-level SHA-2 functions, not EVP (see `CLibCrypto`); the key pads and hash
/// states live on the stack and are wiped after use.
public enum HMAC {
    /// The hash under the MAC.
    public typealias Hash = SHA2

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
                hash.digest(key, into: block)
            } else if !key.isEmpty {
                block.copyMemory(from: key)
            }
            for index in block.indices { block[index] ^= 0x36 }
            hash.digest(UnsafeRawBufferPointer(block), message, into: inner)
            for index in block.indices { block[index] ^= 0x36 ^ 0x5c }
            hash.digest(UnsafeRawBufferPointer(block), UnsafeRawBufferPointer(inner), into: out)
        }
    }
}
