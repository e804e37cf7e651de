/// The key-value pairs bound to a ciphertext as associated data.
///
/// Matching is exact and case-sensitive; the order of pairs does not matter.
public struct EncryptionContext: Hashable, Sendable {
    // One pair, as every SecureString read has, is kept without a dictionary: a read builds its
    // context on each request. Counts are normalised (a one-pair dictionary is stored as `.one`),
    // so the synthesised equality is the pairs' equality.
    private enum Storage: Hashable, Sendable {
        case none
        case one(key: String, value: String)
        case many([String: String])
    }

    private let storage: Storage

    /// The pairs.
    public var pairs: [String: String] {
        switch storage {
        case .none: return [:]
        case .one(let key, let value): return [key: value]
        case .many(let pairs): return pairs
        }
    }

    /// - Parameter pairs: the context; empty for none.
    public init(_ pairs: [String: String] = [:]) {
        switch pairs.count {
        case 0: storage = .none
        case 1: storage = .one(key: pairs.first!.key, value: pairs.first!.value)
        default: storage = .many(pairs)
        }
    }

    /// A context of one pair.
    /// - Parameters:
    ///   - key: its key.
    ///   - value: its value.
    public init(key: String, value: String) {
        storage = .one(key: key, value: value)
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
    var canonicalCount: Int {
        switch storage {
        case .none: return 4
        case .one(let key, let value): return 12 + key.utf8.count + value.utf8.count
        case .many(let pairs): return pairs.reduce(4) { $0 + 8 + $1.key.utf8.count + $1.value.utf8.count }
        }
    }

    /// Appends ``canonicalBytes`` to `out`: a key derivation reserves room for its whole input once.
    /// - Parameter out: where to append.
    func appendCanonicalBytes(to out: inout [UInt8]) {
        switch storage {
        case .none:
            out.appendBigEndian(UInt32(0))
        case .one(let key, let value):
            out.appendBigEndian(UInt32(1))
            out.appendPair(key, value)
        case .many(let pairs):
            out.appendBigEndian(UInt32(pairs.count))
            for (key, value) in pairs.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                out.appendPair(key, value)
            }
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
