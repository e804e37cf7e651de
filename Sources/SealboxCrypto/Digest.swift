import CLibCrypto
import CSodium

/// SHA-256 and HMAC-SHA256 through OpenSSL's SHA-256, which uses the CPU's SHA extensions, where
/// libsodium's is portable C: every audit record is MACed on the request path. It calls the
/// low-level SHA-256 functions, not EVP: see `CLibCrypto`.
public enum Digest {
    /// The SHA-256 of `bytes`.
    /// - Parameter bytes: the input.
    public static func sha256(_ bytes: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { digest(input, into: $0) }
        }
        return out
    }

    /// HMAC-SHA256 of `message` under `key`, into an ordinary array (for public MACs).
    /// - Parameters:
    ///   - key: the MAC key.
    ///   - message: the input.
    public static func hmacSHA256(key: some ContiguousBytes, _ message: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { hmacSHA256(key: key, message, into: $0) }
        return out
    }

    /// HMAC-SHA256 of `message` under `key` into guarded memory (for derived keys).
    /// - Parameters:
    ///   - key: the MAC key.
    ///   - message: the input.
    public static func hmacSHA256Secure(key: some ContiguousBytes, _ message: some ContiguousBytes) -> SecureBytes {
        try! SecureBytes(count: 32) { hmacSHA256(key: key, message, into: $0) }
    }

    /// HMAC (RFC 2104): SHA-256 of the outer pad and the SHA-256 of the inner pad and the message.
    private static func hmacSHA256(
        key: some ContiguousBytes,
        _ message: some ContiguousBytes,
        into out: UnsafeMutableRawBufferPointer
    ) {
        precondition(out.count == 32)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { inner in
            let inner = UnsafeMutableRawBufferPointer(inner)
            defer { Sodium.zero(inner) }
            withPads(
                of: key,
                inner: { pad in message.withUnsafeBytes { digest(pad, $0, into: inner) } },
                outer: { pad in digest(pad, UnsafeRawBufferPointer(inner), into: out) })
        }
    }

    /// Calls `inner` with the key's inner pad block, then `outer` with its outer pad block. The
    /// block is on the stack and wiped afterwards: the pads are the key in disguise.
    /// - Parameters:
    ///   - key: the HMAC key; one longer than a block is hashed first.
    ///   - inner: reads the 64-byte inner pad.
    ///   - outer: reads the 64-byte outer pad.
    static func withPads(
        of key: some ContiguousBytes,
        inner: (UnsafeRawBufferPointer) -> Void,
        outer: (UnsafeRawBufferPointer) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { block in
            let block = UnsafeMutableRawBufferPointer(block)
            defer { Sodium.zero(block) }
            block.initializeMemory(as: UInt8.self, repeating: 0)
            key.withUnsafeBytes { key in
                if key.count > 64 {
                    digest(key, into: block)
                } else if !key.isEmpty {
                    block.copyMemory(from: key)
                }
            }
            for index in block.indices { block[index] ^= 0x36 }
            inner(UnsafeRawBufferPointer(block))
            for index in block.indices { block[index] ^= 0x36 ^ 0x5c }
            outer(UnsafeRawBufferPointer(block))
        }
    }

    /// The SHA-256 of `first` then `second`, into the first 32 bytes of `out`.
    private static func digest(
        _ first: UnsafeRawBufferPointer,
        _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        into out: UnsafeMutableRawBufferPointer
    ) {
        var state = SHA256_CTX()
        var done = SHA256_Init(&state) == 1
        if done, !first.isEmpty { done = SHA256_Update(&state, first.baseAddress, first.count) == 1 }
        if done, !second.isEmpty { done = SHA256_Update(&state, second.baseAddress, second.count) == 1 }
        done = done && SHA256_Final(out.baseAddress!.assumingMemoryBound(to: UInt8.self), &state) == 1
        // The state holds what was hashed, key pads included.
        withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
        precondition(done, "SHA-256 failed")
    }
}
