import CLibCrypto

/// An HMAC-SHA256 key kept as the SHA-256 states after its inner and outer pad blocks, in guarded
/// memory. A MAC then hashes only the message and the inner digest: two of the eight compressions
/// of an audit record's MAC under ``Digest/hmacSHA256(key:_:)``, which hashes both pads every time.
public final class HMACKey: Sendable {
    private static let stateSize = MemoryLayout<SHA256_CTX>.stride
    /// The inner state, then the outer one.
    private let states: SecureBytes

    /// - Parameter key: the HMAC key.
    public init(_ key: some ContiguousBytes) {
        states = try! SecureBytes(count: 2 * Self.stateSize) { out in
            func store(_ pad: UnsafeRawBufferPointer, at offset: Int) {
                var state = SHA256_CTX()
                let done = SHA256_Init(&state) == 1 && SHA256_Update(&state, pad.baseAddress, pad.count) == 1
                precondition(done, "SHA-256 failed")
                out.storeBytes(of: state, toByteOffset: offset, as: SHA256_CTX.self)
                withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
            }
            Digest.withPads(of: key, inner: { store($0, at: 0) }, outer: { store($0, at: Self.stateSize) })
        }
    }

    /// The HMAC-SHA256 of `message`, into an ordinary array (for public MACs).
    /// - Parameter message: the input.
    public func mac(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            mac(message, into: UnsafeMutableRawBufferPointer(out))
            count = 32
        }
    }

    /// The HMAC-SHA256 of `message` into the 32 bytes of `out`.
    /// - Parameters:
    ///   - message: the input.
    ///   - out: receives the MAC.
    public func mac(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count == 32)
        states.withUnsafeBytes { states in
            var state = states.loadUnaligned(as: SHA256_CTX.self)
            var inner: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            // Both hold what the pads hashed to: as good as the key.
            defer {
                withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
                withUnsafeMutableBytes(of: &inner) { Sodium.zero($0) }
            }
            var done = message.isEmpty || SHA256_Update(&state, message.baseAddress, message.count) == 1
            done = done && withUnsafeMutableBytes(of: &inner) { SHA256_Final(bound($0), &state) } == 1
            state = states.loadUnaligned(fromByteOffset: Self.stateSize, as: SHA256_CTX.self)
            done = done && withUnsafeBytes(of: &inner) { SHA256_Update(&state, $0.baseAddress, $0.count) } == 1
            done = done && SHA256_Final(bound(out), &state) == 1
            precondition(done, "SHA-256 failed")
        }
    }

    private func bound(_ buffer: UnsafeMutableRawBufferPointer) -> UnsafeMutablePointer<UInt8> {
        buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
    }
}
