import CLibCrypto

/// The SHA-2 hash functions KMS names: under HMAC keys, signatures and OAEP. Digests run through
/// OpenSSL's low-level functions, not EVP (see `CLibCrypto`), with the state wiped after use.
public enum SHA2: Sendable, CaseIterable {
    case sha224, sha256, sha384, sha512

    /// The digest's length in bytes.
    public var length: Int {
        switch self {
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The block size, which an HMAC key longer than it is hashed down to fit.
    var blockSize: Int {
        switch self {
        case .sha224, .sha256: 64
        case .sha384, .sha512: 128
        }
    }

    /// The same function as libcrypto's EVP names it, for the signature and OAEP parameters.
    var evp: OpaquePointer {
        switch self {
        case .sha224: EVP_sha224()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }

    /// The digest of `bytes`.
    /// - Parameter bytes: the input.
    public func digest(_ bytes: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        bytes.withUnsafeBytes { input in out.withUnsafeMutableBytes { digest(input, into: $0) } }
        return out
    }

    /// The digest of `first` then `second`, into the first ``length`` bytes of `out`.
    func digest(
        _ first: UnsafeRawBufferPointer,
        _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        into out: UnsafeMutableRawBufferPointer
    ) {
        precondition(out.count >= length)
        let output = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var done: Bool
        switch self {
        case .sha224, .sha256:
            var state = SHA256_CTX()
            done = (self == .sha224 ? SHA224_Init(&state) : SHA256_Init(&state)) == 1
            if done, !first.isEmpty { done = SHA256_Update(&state, first.baseAddress, first.count) == 1 }
            if done, !second.isEmpty { done = SHA256_Update(&state, second.baseAddress, second.count) == 1 }
            done = done && (self == .sha224 ? SHA224_Final(output, &state) : SHA256_Final(output, &state)) == 1
            withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
        case .sha384, .sha512:
            var state = SHA512_CTX()
            done = (self == .sha384 ? SHA384_Init(&state) : SHA512_Init(&state)) == 1
            if done, !first.isEmpty { done = SHA512_Update(&state, first.baseAddress, first.count) == 1 }
            if done, !second.isEmpty { done = SHA512_Update(&state, second.baseAddress, second.count) == 1 }
            done = done && (self == .sha384 ? SHA384_Final(output, &state) : SHA512_Final(output, &state)) == 1
            withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
        }
        precondition(done, "SHA-2 failed")
    }
}
