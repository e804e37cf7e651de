import CLibCrypto

/// Set-up operation contexts on one key, kept for reuse.
///
/// Setting a context up (`EVP_PKEY_CTX_new_from_pkey`, then `EVP_PKEY_sign_init` and its
/// parameters) makes libcrypto 3.0 fetch the algorithm by name through its global method store,
/// which costs about as much as a P-256 signature; a set-up context runs the same operation again
/// and again (`EVP_PKEY_sign(3)`). A context serves one thread at a time: it is taken from the
/// shard of the calling thread, given back after an operation that ran, and freed after one that
/// failed, whose state nobody vouches for.
final class EVPContextPool: @unchecked Sendable {
    private static let shardCount = 4
    /// The most idle contexts a shard keeps: more threads than that at once make extra ones.
    private static let shardLimit = 4

    private let shards: [Locked<[OpaquePointer]>]
    private let make: @Sendable () throws -> OpaquePointer

    /// - Parameter make: sets up a fresh context, ready for the operation.
    init(make: @escaping @Sendable () throws -> OpaquePointer) {
        self.make = make
        shards = (0..<Self.shardCount).map { _ in Locked([]) }
    }

    deinit {
        for shard in shards {
            for context in shard.withLock({ $0 }) { EVP_PKEY_CTX_free(context) }
        }
    }

    /// Runs `body` with a set-up context.
    /// - Parameter body: the operation; throwing means the context is not reused.
    func run<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
        let shard = shards[ThreadShard.index(of: Self.shardCount)]
        let context = try shard.withLock { $0.popLast() } ?? make()
        let result: R
        do {
            result = try body(context)
        } catch {
            EVP_PKEY_CTX_free(context)
            throw error
        }
        let kept = shard.withLock { idle -> Bool in
            guard idle.count < Self.shardLimit else { return false }
            idle.append(context)
            return true
        }
        if !kept { EVP_PKEY_CTX_free(context) }
        return result
    }
}
