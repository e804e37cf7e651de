import SealboxCore
import SealboxCrypto

/// Opaque paging tokens (KMS `Marker`, SSM `NextToken`): the sort key of the last item returned,
/// with a MAC under a per-process key, so a client cannot forge a token or reuse one across
/// operations. Tokens do not survive a daemon restart, as AWS's expire.
enum PageToken {
    private static let key = SecureBytes.random(count: 32)
    private static let macLength = 16

    private static func mac(_ last: String, scope: String) -> ArraySlice<UInt8> {
        Digest.hmacSHA256(key: key, Array("\(scope)\u{0}\(last)".utf8)).prefix(macLength)
    }

    /// A token naming `last` as the final item returned.
    static func make(after last: String, scope: String) -> String {
        Base64.encode(Array(last.utf8) + mac(last, scope: scope))
    }

    /// The last item a token names, or nil if this process did not issue it for this scope.
    static func last(in token: String, scope: String) -> String? {
        guard let raw = try? Base64.decode(Array(token.utf8)), raw.count > macLength,
            let last = String(validating: raw.dropLast(macLength), as: UTF8.self),
            Sodium.constantTimeEquals(Array(raw.suffix(macLength)), Array(mac(last, scope: scope)))
        else { return nil }
        return last
    }

    /// A page of `items`, already sorted by `sortKey`, after the item a token names.
    /// - Returns: nil when the token was not issued by this process for this scope.
    static func page<T>(
        _ items: [T],
        sortKey: (T) -> String,
        after token: String?,
        limit: Int,
        scope: String
    ) -> (items: ArraySlice<T>, next: String?)? {
        var start = 0
        if let token {
            guard let last = last(in: token, scope: scope) else { return nil }
            start = items.firstIndex { sortKey($0) > last } ?? items.count
        }
        let end = min(start + limit, items.count)
        let next = end < items.count ? make(after: sortKey(items[end - 1]), scope: scope) : nil
        return (items[start..<end], next)
    }
}
