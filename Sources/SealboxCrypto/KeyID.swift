/// A 128-bit key identifier, written as a lowercase UUID, or as `mrk-` and 32 hex digits for a
/// multi-Region key.
///
/// The 128 bits alone identify a key: two ids with the same bits are equal whatever their form, so an
/// id read back from a ciphertext (which carries the bits only) finds a multi-Region key. The form is
/// kept for the text.
public struct KeyID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 16 bytes as two big-endian halves: hashing and comparing them needs no array, and every
    /// KMS Decrypt and SecureString read looks a key up by its id.
    private let high: UInt64
    private let low: UInt64
    /// Written `mrk-…`.
    public let isMultiRegion: Bool

    public static func == (lhs: KeyID, rhs: KeyID) -> Bool { lhs.high == rhs.high && lhs.low == rhs.low }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(high)
        hasher.combine(low)
    }

    /// The 16 bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Both halves folded into one word, to pick a shard by: generated ids are random throughout.
    package var mixedBits: UInt64 { high ^ low }

    /// Calls `body` with the 16 bytes, on the stack.
    /// - Parameter body: reads the bytes; the pointer must not escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: (high.bigEndian, low.bigEndian), body)
    }

    /// - Parameter raw: exactly 16 bytes.
    init(raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 16, "a key id is 16 bytes")
        high = raw.loadBigEndian(at: 0, as: UInt64.self)
        low = raw.loadBigEndian(at: 8, as: UInt64.self)
        isMultiRegion = false
    }

    private init(high: UInt64, low: UInt64, multiRegion: Bool) {
        (self.high, self.low, isMultiRegion) = (high, low, multiRegion)
    }

    /// - Parameter bytes: exactly 16 bytes, else nil.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self = bytes.withUnsafeBytes { KeyID(raw: $0) }
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` or `mrk-` and 32 hex digits (either case).
    /// - Parameter string: the UUID text.
    public init?(_ string: some StringProtocol) {
        self.init(utf8: Substring(string).utf8)
    }

    /// Parses a UUID's UTF-8 in one pass, without allocating: every operation that names a key by id
    /// parses one.
    /// - Parameter utf8: the UUID text.
    public init?(utf8: Substring.UTF8View) {
        // Both forms are 36 bytes long.
        guard utf8.count == 36 else { return nil }
        let multiRegion = utf8.starts(with: "mrk-".utf8)
        var halves: (UInt64, UInt64) = (0, 0)
        var digits = 0
        var position = 0
        for char in utf8 {
            defer { position += 1 }
            if multiRegion ? position < 4 : (position == 8 || position == 13 || position == 18 || position == 23) {
                if multiRegion { continue }
                guard char == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let nibble = Hex.value(ofDigit: char) else { return nil }
            if digits < 16 {
                halves.0 = halves.0 << 4 | UInt64(nibble)
            } else {
                halves.1 = halves.1 << 4 | UInt64(nibble)
            }
            digits += 1
        }
        (high, low, isMultiRegion) = (halves.0, halves.1, multiRegion)
    }

    /// A random (version 4) id.
    public static func random() -> KeyID {
        KeyID(version4: Sodium.randomBytes(16))!
    }

    /// 16 bytes with the version (4) and variant bits of a random UUID set.
    /// - Parameter bytes: exactly 16 bytes, else nil.
    public init?(version4 bytes: [UInt8]) {
        guard let id = KeyID(bytes: bytes) else { return nil }
        self.init(version4: id.high, id.low)
    }

    /// Two big-endian halves with the version (4) and variant bits of a random UUID set.
    /// - Parameters:
    ///   - high: bytes 0 to 7; byte 6 carries the version.
    ///   - low: bytes 8 to 15; byte 8 carries the variant.
    public init(version4 high: UInt64, _ low: UInt64) {
        self.high = high & ~0xf000 | 0x4000
        self.low = low & ~(0xc0 << 56) | 0x80 << 56
        isMultiRegion = false
    }

    /// A random multi-Region key id: 128 random bits, written `mrk-…`.
    public static func randomMultiRegion() -> KeyID {
        let random = KeyID(bytes: Sodium.randomBytes(16))!
        return KeyID(high: random.high, low: random.low, multiRegion: true)
    }

    /// The all-zero id, used for material wrapped directly under the root key.
    public static let root = KeyID(bytes: [UInt8](repeating: 0, count: 16))!

    public var description: String {
        if isMultiRegion { return "mrk-" + Hex.encode(bytes) }
        return withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = Hex.digit(byte >> 4)
                    out[position + 1] = Hex.digit(byte & 0x0f)
                    position += 2
                }
                return position
            }
        }
    }

    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}

/// Lowercase hexadecimal.
public enum Hex {
    /// Encodes bytes as lowercase hex.
    /// - Parameter bytes: the input.
    public static func encode(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { write(raw, into: $0) }
        }
    }

    /// Encodes bytes as lowercase hex, as ASCII bytes rather than a `String`.
    /// - Parameter bytes: the input.
    public static func encodeASCII(_ bytes: some ContiguousBytes) -> [UInt8] {
        bytes.withUnsafeBytes { raw in
            [UInt8](unsafeUninitializedCapacity: raw.count * 2) { $1 = write(raw, into: $0) }
        }
    }

    /// Writes bytes as lowercase hex into `out`, which has room for twice as many.
    /// - Parameters:
    ///   - raw: the input.
    ///   - out: receives the digits.
    /// - Returns: how many digits were written.
    public static func write(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        for (index, byte) in raw.enumerated() {
            out[index * 2] = digit(byte >> 4)
            out[index * 2 + 1] = digit(byte & 0x0f)
        }
        return raw.count * 2
    }

    /// The lowercase digit of a nibble, worked out rather than read from a table: every audit record
    /// and request id is written in hex, and the table cost a lazy-global check per digit.
    @inlinable
    public static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    /// The value of one hex digit (either case); nil for any other byte. Inlinable: reading a lease
    /// id calls it 32 times on every redeem, from another module.
    /// - Parameter digit: the digit as UTF-8.
    @inlinable
    public static func value(ofDigit digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Decodes hex (either case); nil on odd length or a non-hex character.
    /// - Parameter text: the hex digits as UTF-8.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var high: UInt8? = nil
        for char in text {
            guard let nibble = value(ofDigit: char) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }
}
