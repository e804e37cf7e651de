import SealboxCrypto

/// A lease id: 128 random bits, written as 32 lowercase hex digits. The table keeps the two words,
/// not the text, so a lease costs no allocation of its own for its id.
public struct LeaseID: Hashable, Sendable, CustomStringConvertible, ShardKey {
    private let high: UInt64
    private let low: UInt64

    /// A fresh random id.
    static func random() -> LeaseID {
        LeaseID(high: Sodium.randomWord(), low: Sodium.randomWord())
    }

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads an id as the daemon writes it; nil for anything else, uppercase digits included.
    /// - Parameter text: 32 lowercase hex digits.
    public init?(_ text: String) {
        self.init(text[...])
    }

    /// Reads an id from part of a string, such as a request path's segment.
    /// - Parameter text: 32 lowercase hex digits.
    public init?(_ text: Substring) {
        var text = text
        // Read as a buffer, not through the String's UTF-8 iterator: this runs on every redeem.
        let words = text.withUTF8 { bytes -> (UInt64, UInt64)? in
            guard bytes.count == 32 else { return nil }
            var words: (UInt64, UInt64) = (0, 0)
            for (index, byte) in bytes.enumerated() {
                guard byte < UInt8(ascii: "A") || byte > UInt8(ascii: "F"), let digit = Hex.value(ofDigit: byte)
                else { return nil }
                if index < 16 {
                    words.0 = words.0 << 4 | UInt64(digit)
                } else {
                    words.1 = words.1 << 4 | UInt64(digit)
                }
            }
            return words
        }
        guard let words else { return nil }
        self.init(high: words.0, low: words.1)
    }

    public var description: String {
        withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Hex.encode($0) }
    }

    /// Its low word, to pick a ``ShardedMap`` shard by: the id is random.
    public var shardHash: UInt { UInt(truncatingIfNeeded: low) }

    /// Equality that takes the same time wherever the ids differ.
    func constantTimeEquals(_ other: LeaseID) -> Bool {
        (high ^ other.high) | (low ^ other.low) == 0
    }
}
