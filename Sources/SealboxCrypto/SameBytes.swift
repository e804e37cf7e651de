#if canImport(Glibc)
    import Glibc
#endif

extension UnsafeRawBufferPointer {
    /// Whether `other` holds the same bytes: equal counts, then one `memcmp`. For names, contexts and
    /// other public bytes on hot paths, where the generic `==` of slices and views went byte by
    /// byte. Not for secrets: it stops at the first difference (``Sodium/constantTimeEquals(_:_:)``).
    /// - Parameter other: the bytes to compare with.
    package func sameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        count == other.count && (isEmpty || memcmp(baseAddress!, other.baseAddress!, count) == 0)
    }
}
