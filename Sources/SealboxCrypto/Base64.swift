import CSodium

/// Strict base64 via libsodium, so decoding writes straight into the caller's memory.
public enum Base64 {
    /// The alphabet and padding of an encoding.
    public enum Variant: Sendable {
        /// RFC 4648 standard alphabet with padding, as AWS blobs use.
        case standard
        /// RFC 4648 URL-safe alphabet with padding, as Fernet uses.
        case urlSafe

        var sodium: Int32 {
            switch self {
            case .standard: sodium_base64_VARIANT_ORIGINAL
            case .urlSafe: sodium_base64_VARIANT_URLSAFE
            }
        }
    }

    /// The length of the encoding of `count` bytes, without a terminator.
    /// - Parameter count: the number of input bytes.
    public static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Encodes `bytes` into `output`, which must hold `encodedLength(bytes.count)` bytes.
    /// - Parameters:
    ///   - bytes: the input.
    ///   - output: receives the encoding.
    ///   - variant: the alphabet.
    public static func encode(
        _ bytes: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer,
        variant: Variant = .standard
    ) {
        let length = encodedLength(bytes.count)
        precondition(output.count >= length)
        guard length > 0 else { return }
        // sodium_bin2base64 writes a NUL terminator, so encode through a scratch buffer one byte longer.
        withUnsafeTemporaryAllocation(byteCount: length + 1, alignment: 1) { scratch in
            _ = sodium_bin2base64(
                scratch.baseAddress!.assumingMemoryBound(to: CChar.self), length + 1,
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, variant.sodium)
            output.copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[0..<length]))
            Sodium.zero(scratch)
        }
    }

    /// Encodes bytes to a string.
    /// - Parameters:
    ///   - bytes: the input.
    ///   - variant: the alphabet.
    public static func encode(_ bytes: some ContiguousBytes, variant: Variant = .standard) -> String {
        bytes.withUnsafeBytes { input in
            String(unsafeUninitializedCapacity: encodedLength(input.count)) { output in
                encode(input, into: UnsafeMutableRawBufferPointer(output), variant: variant)
                return encodedLength(input.count)
            }
        }
    }

    /// Decodes base64 text into guarded memory; rejects whitespace, bad characters and bad padding.
    /// - Parameters:
    ///   - text: the encoded bytes.
    ///   - variant: the alphabet.
    public static func decodeSecure(_ text: some ContiguousBytes, variant: Variant = .standard) throws -> SecureBytes {
        try text.withUnsafeBytes { input in
            let capacity = input.count / 4 * 3 + 3
            var decoded = 0
            let scratch = try SecureBytes(count: capacity) { out in
                decoded = try decode(input, into: out, variant: variant)
            }
            return try SecureBytes(count: decoded) { out in
                scratch.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<decoded])) }
            }
        }
    }

    /// Decodes base64 text into an ordinary array (for ciphertexts and other public data).
    /// - Parameters:
    ///   - text: the encoded bytes.
    ///   - variant: the alphabet.
    public static func decode(_ text: some ContiguousBytes, variant: Variant = .standard) throws -> [UInt8] {
        try text.withUnsafeBytes { input in
            var output = [UInt8](repeating: 0, count: input.count / 4 * 3 + 3)
            let decoded = try output.withUnsafeMutableBytes { try decode(input, into: $0, variant: variant) }
            output.removeLast(output.count - decoded)
            return output
        }
    }

    private static func decode(
        _ input: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer,
        variant: Variant
    ) throws -> Int {
        guard input.count > 0 else { return 0 }
        guard input.count % 4 == 0 else { throw CryptoError.invalidEncoding }
        var length = 0
        var end: UnsafePointer<CChar>? = nil
        let status = sodium_base642bin(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count,
            input.baseAddress!.assumingMemoryBound(to: CChar.self), input.count,
            nil, &length, &end, variant.sodium)
        let consumed = end.map { UnsafeRawPointer($0) - input.baseAddress! } ?? 0
        guard status == 0, consumed == input.count else { throw CryptoError.invalidEncoding }
        return length
    }
}
