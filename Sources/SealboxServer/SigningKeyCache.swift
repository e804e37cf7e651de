import SealboxCore
import SealboxCrypto

/// SigV4 signing keys already derived, by access key and credential scope.
///
/// A client signs a whole day's requests under one scope (`date/region/service/aws4_request`), and
/// deriving its key is four HMACs into guarded memory, which no request should repeat. The cache is sharded
/// by thread, as the guarded-memory pool is, so no lock is shared by the event loops; each shard
/// keeps its few most recent keys.
final class SigningKeyCache: Sendable {
    private struct Entry {
        /// The secret the key was derived from: a reloaded access key has a new one, so a key of its
        /// old secret is never returned. Held weakly, so that the cache does not keep a replaced
        /// secret alive; its entry, and the key derived from it, go at the next lookup.
        weak var secret: SecureBytes?
        let scope: [UInt8]
        let key: SecureBytes
    }

    private static let shardCount = 8
    private static let entriesPerShard = 8
    private let shards = (0..<SigningKeyCache.shardCount).map { _ in Locked<[Entry]>([]) }

    /// The signing key of `accessKey` for the request's credential scope, derived on first use.
    /// - Parameters:
    ///   - accessKey: the access key the request names.
    ///   - authorization: the request's `Authorization` header.
    func key(for accessKey: AccessKey, _ authorization: SigV4Authorization) -> SecureBytes {
        let scope = authorization.scope
        let shard = shards[ThreadShard.index(of: Self.shardCount)]
        let found = shard.withLock { entries in
            entries.removeAll { $0.secret == nil }
            return entries.first { $0.secret === accessKey.secret && $0.scope.elementsEqual(scope.utf8) }?.key
        }
        if let found { return found }
        let key = Self.derive(
            accessKey.secret, parts: [authorization.date, authorization.region, authorization.service])
        shard.withLock { entries in
            if entries.count == Self.entriesPerShard { entries.removeFirst() }
            entries.append(Entry(secret: accessKey.secret, scope: Array(scope.utf8), key: key))
        }
        return key
    }

    /// `HMAC(... HMAC(HMAC("AWS4" + secret, date), region) ..., "aws4_request")`.
    static func derive(_ secret: SecureBytes, parts: [Substring]) -> SecureBytes {
        var key = try! SecureBytes(count: 4 + secret.count) { out in
            out.copyBytes(from: "AWS4".utf8)
            secret.withUnsafeBytes { (out.baseAddress! + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        for part in parts + ["aws4_request"] {
            key = Digest.hmacSHA256Secure(key: key, Array(part.utf8))
        }
        return key
    }
}
