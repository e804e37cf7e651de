import CLibCrypto

/// libcrypto's secure heap, where it keeps the private parts of asymmetric keys (the RSA exponents
/// and primes, EC scalars): locked pages behind guard pages, left out of core dumps, cleared on free.
///
/// It is set up on the first asymmetric key, so a daemon without one keeps neither the heap nor the
/// EVP machinery. Key parts made before then (none, by that order) would be in the ordinary heap.
enum SecureHeap {
    /// Enough for thousands of keys; the pages are committed only as used.
    static let size = 4 << 20

    private static let ready: Bool = {
        let result = CRYPTO_secure_malloc_init(size, 32)
        // 2: the heap works but `mlock` failed, so its pages may be swapped, as for guarded memory.
        if result == 2 { MemoryLocking.countUnlocked() }
        return result != 0
    }()

    /// Sets the heap up once; later calls cost an atomic load.
    static func prepare() throws {
        guard ready else { throw CryptoError.libcrypto("CRYPTO_secure_malloc_init") }
    }
}
