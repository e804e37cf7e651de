import CSodium

/// Strict base64: libsodium's constant-time coder for secrets, which writes straight into guarded
/// memory, and a table-free one for public data.
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

    /// Decodes base64 text into an ordinary array (for ciphertexts and other public data), as
    /// strictly as ``decodeSecure(_:variant:)``: padding required, and no whitespace, stray `=` or
    /// non-zero bits after the last byte. Not constant-time, so it is only for public data such as
    /// ciphertext blobs; secrets go through libsodium's constant-time decoder.
    /// - Parameters:
    ///   - text: the encoded bytes.
    ///   - variant: the alphabet.
    public static func decode(_ text: some ContiguousBytes, variant: Variant = .standard) throws -> [UInt8] {
        try text.withUnsafeBytes { input in
            guard input.count % 4 == 0 else { throw CryptoError.invalidEncoding }
            guard !input.isEmpty else { return [] }
            let padding =
                input[input.count - 1] != UInt8(ascii: "=") ? 0 : input[input.count - 2] == UInt8(ascii: "=") ? 2 : 1
            let count = input.count / 4 * 3 - padding
            return try [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                var written = 0
                var index = 0
                while index < input.count {
                    // The last quad holds 4 - padding characters; `=` anywhere else is invalid.
                    let characters = index + 4 == input.count ? 4 - padding : 4
                    var bits: UInt32 = 0
                    for offset in 0..<characters {
                        guard let value = sextet(input[index + offset], variant) else {
                            throw CryptoError.invalidEncoding
                        }
                        bits = bits << 6 | UInt32(value)
                    }
                    switch characters {
                    case 4:
                        out[written] = UInt8(truncatingIfNeeded: bits >> 16)
                        out[written + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                        out[written + 2] = UInt8(truncatingIfNeeded: bits)
                    case 3:
                        guard bits & 0x3 == 0 else { throw CryptoError.invalidEncoding }
                        out[written] = UInt8(truncatingIfNeeded: bits >> 10)
                        out[written + 1] = UInt8(truncatingIfNeeded: bits >> 2)
                    default:
                        guard characters == 2, bits & 0xf == 0 else { throw CryptoError.invalidEncoding }
                        out[written] = UInt8(truncatingIfNeeded: bits >> 4)
                    }
                    written += characters - 1
                    index += 4
                }
                initialized = written
            }
        }
    }

    /// The 6-bit value of a base64 character of `variant`'s alphabet; nil for any other byte.
    private static func sextet(_ character: UInt8, _ variant: Variant) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where variant == .standard, UInt8(ascii: "-") where variant == .urlSafe: 62
        case UInt8(ascii: "/") where variant == .standard, UInt8(ascii: "_") where variant == .urlSafe: 63
        default: nil
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
