#if canImport(Glibc)
    import Glibc
#endif

/// The key-value pairs bound to a ciphertext as associated data.
///
/// Matching is exact, byte for byte, as the associated data is: two spellings of one Unicode text
/// are different contexts, as they are to AWS KMS. The order of pairs does not matter.
public struct EncryptionContext: Hashable, Sendable {
    // One pair, as every SecureString read has, is kept without a dictionary: a read builds its
    // context on each request. Counts are normalised (a one-pair dictionary is stored as `.one`).
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

    /// The pairs sorted by key bytes, as the canonical encoding lists them.
    private var sortedPairs: [(key: String, value: String)] {
        pairs.map { ($0.key, $0.value) }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    // String's == treats canonically equivalent texts as equal. The message-key cache compares
    // contexts, so with it a blob would open under a context whose bytes differ from the sealing
    // one only while its key was cached.
    public static func == (lhs: EncryptionContext, rhs: EncryptionContext) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.none, .none):
            return true
        case (.one(let leftKey, let leftValue), .one(let rightKey, let rightValue)):
            return bytesEqual(leftKey, rightKey) && bytesEqual(leftValue, rightValue)
        case (.many(let left), .many(let right)):
            guard left.count == right.count else { return false }
            return left.allSatisfy { key, value in
                guard let index = right.index(forKey: key) else { return false }
                return bytesEqual(key, right[index].key) && bytesEqual(value, right[index].value)
            }
        default:
            return false
        }
    }

    // Byte-equal contexts are equal as Strings too, so String's hash stays consistent with ==.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage)
    }

    private static func bytesEqual(_ left: String, _ right: String) -> Bool {
        guard left.utf8.count == right.utf8.count else { return false }
        let compared = left.utf8.withContiguousStorageIfAvailable { left in
            right.utf8.withContiguousStorageIfAvailable { UnsafeRawBufferPointer(left).sameBytes(as: .init($0)) }
        }
        return (compared ?? nil) ?? left.utf8.elementsEqual(right.utf8)
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
        case .many:
            let pairs = sortedPairs
            out.appendBigEndian(UInt32(pairs.count))
            for (key, value) in pairs { out.appendPair(key, value) }
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
