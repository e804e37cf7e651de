import CSodium

/// Process-wide libsodium initialisation and primitives that need no key type.
public enum Sodium {
    private static let initialised: Bool = sodium_init() >= 0

    /// Initialises libsodium. Safe to call many times; every type in this module calls it.
    public static func ensureInitialised() throws {
        guard initialised else { throw CryptoError.sodiumUnavailable }
    }

    /// Fills `buffer` with cryptographically secure random bytes.
    /// - Parameter buffer: the memory to fill.
    public static func randomFill(_ buffer: UnsafeMutableRawBufferPointer) {
        precondition(initialised, "libsodium is not initialised")
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    /// A random 64-bit word, for ids: no array on the way.
    public static func randomWord() -> UInt64 {
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { randomFill($0) }
        return word
    }

    /// Returns `count` random bytes in an ordinary array (for nonces and ids, never keys).
    /// - Parameter count: how many bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randomFill($0) }
        return bytes
    }

    /// Compares two byte buffers in time that depends only on their lengths.
    /// - Parameters:
    ///   - lhs: the first buffer.
    ///   - rhs: the second buffer.
    /// - Returns: whether both have the same length and the same bytes.
    public static func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard lhs.count > 0 else { return true }
        return sodium_memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0
    }

    /// Compares two byte sequences in constant time (for MACs, signatures and tokens).
    /// - Parameters:
    ///   - lhs: the first sequence.
    ///   - rhs: the second sequence.
    public static func constantTimeEquals(_ lhs: some ContiguousBytes, _ rhs: some ContiguousBytes) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in constantTimeEquals(l, r) } }
    }

    /// Overwrites `buffer` with zeros in a way the optimiser cannot remove.
    /// - Parameter buffer: the memory to wipe.
    public static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        sodium_memzero(base, buffer.count)
    }
}

/// Bytes that can be read contiguously; `[UInt8]`, `ArraySlice<UInt8>` and `SecureBytes` conform.
public protocol ContiguousBytes {
    /// Calls `body` with the bytes.
    /// - Parameter body: reads the bytes; the pointer must not escape.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension UnsafeRawBufferPointer: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(self) }
}
extension String.UTF8View: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let result = try withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return try Array(self).withUnsafeBytes(body)
    }
}
