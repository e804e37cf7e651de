/// The key-value pairs bound to a ciphertext as associated data.
///
/// Matching is exact and case-sensitive; the order of pairs does not matter.
public struct EncryptionContext: Hashable, Sendable {
    /// The pairs.
    public var pairs: [String: String]

    /// - Parameter pairs: the context; empty for none.
    public init(_ pairs: [String: String] = [:]) {
        self.pairs = pairs
    }

    /// A canonical byte encoding: the pair count, then each pair sorted by key bytes, each string
    /// length-prefixed, all lengths 32-bit big-endian. Equal contexts encode equally.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(canonicalCount)
        appendCanonicalBytes(to: &out)
        return out
    }

    /// The length of ``canonicalBytes``.
    var canonicalCount: Int { pairs.reduce(4) { $0 + 8 + $1.key.utf8.count + $1.value.utf8.count } }

    /// Appends ``canonicalBytes`` to `out`: a key derivation reserves room for its whole input once.
    /// - Parameter out: where to append.
    func appendCanonicalBytes(to out: inout [UInt8]) {
        out.appendBigEndian(UInt32(pairs.count))
        // Zero or one pair (every SecureString) needs no sorted copy: this runs on every Decrypt.
        if pairs.count <= 1 {
            for (key, value) in pairs { out.appendPair(key, value) }
            return
        }
        for (key, value) in pairs.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            out.appendPair(key, value)
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    fileprivate mutating func appendPair(_ key: String, _ value: String) {
        appendBigEndian(UInt32(key.utf8.count))
        append(contentsOf: key.utf8)
        appendBigEndian(UInt32(value.utf8.count))
        append(contentsOf: value.utf8)
    }
}

extension UnsafeRawBufferPointer {
    func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
