/// Key material or plaintext held in libsodium guarded memory.
///
/// The memory comes from `sodium_malloc`: it is locked (never swapped), behind guard pages and
/// excluded from core dumps. It is wiped when the value is released, and the block is recycled
/// through ``GuardedMemory``. The contents are never printed. Instances are immutable once built,
/// which makes them safe to share.
public final class SecureBytes: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    /// The number of bytes held.
    public let count: Int

    /// Allocates `count` bytes of guarded memory and lets `initialise` fill them before the value is shared.
    /// - Parameters:
    ///   - count: the number of bytes.
    ///   - initialise: writes the contents; it may throw, and the memory is then wiped and freed.
    public init(count: Int, initialise: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try Sodium.ensureInitialised()
        precondition(count >= 0, "negative SecureBytes count")
        (base, capacity) = GuardedMemory.allocate(count)
        self.count = count
        try initialise(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Allocates room for `maximumCount` bytes of guarded memory and keeps the first ones
    /// `initialise` wrote: for output whose exact length would take a pass of its own to measure.
    /// - Parameters:
    ///   - maximumCount: the most bytes `initialise` may write.
    ///   - initialise: writes the contents from the start and returns how many bytes it wrote; it may
    ///     throw, and the memory is then wiped and freed.
    public init(maximumCount: Int, initialise: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        try Sodium.ensureInitialised()
        precondition(maximumCount >= 0, "negative SecureBytes count")
        let (base, capacity) = GuardedMemory.allocate(maximumCount)
        let whole = UnsafeMutableRawBufferPointer(start: base, count: maximumCount)
        let written: Int
        do {
            written = try initialise(whole)
        } catch {
            GuardedMemory.release(base, capacity: capacity, used: maximumCount)
            throw error
        }
        precondition(written >= 0 && written <= maximumCount, "wrote outside the SecureBytes")
        // Only the kept bytes are wiped on release: clear anything written past them now.
        Sodium.zero(UnsafeMutableRawBufferPointer(rebasing: whole[written...]))
        (self.base, self.capacity, count) = (base, capacity, written)
    }

    /// Copies `bytes` into guarded memory.
    /// - Parameter bytes: the bytes to protect; wipe your own copy afterwards.
    public convenience init(copying bytes: some ContiguousBytes) {
        // The closure cannot throw and libsodium is initialised on first use, so this cannot fail.
        try! self.init(count: bytes.withUnsafeBytes { $0.count }) { buffer in
            bytes.withUnsafeBytes { source in
                if source.count > 0 { buffer.copyMemory(from: source) }
            }
        }
    }

    /// Fresh random bytes, for keys.
    /// - Parameter count: the number of bytes.
    public static func random(count: Int) -> SecureBytes {
        try! SecureBytes(count: count) { Sodium.randomFill($0) }
    }

    deinit {
        GuardedMemory.release(base, capacity: capacity, used: count)
    }

    /// Calls `body` with the bytes. The pointer must not escape.
    /// - Parameter body: reads the bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Compares with other bytes in constant time.
    /// - Parameter other: the bytes to compare against.
    public func constantTimeEquals(_ other: some ContiguousBytes) -> Bool {
        withUnsafeBytes { mine in other.withUnsafeBytes { Sodium.constantTimeEquals(mine, $0) } }
    }
}

extension SecureBytes: ContiguousBytes {}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecureBytes(\(count) bytes)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
