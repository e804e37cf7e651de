import SealboxCrypto

/// A name within one account and region: how the KMS finds a key (`Scoped<KeyID>`, since a
/// multi-Region key has one id in several regions) or an alias (`Scoped<String>`).
public struct Scoped<Name: ShardKey>: ShardKey {
    public var scope: Scope
    public var name: Name

    /// - Parameters:
    ///   - name: the key id or alias name.
    ///   - scope: its account and region.
    public init(_ name: Name, in scope: Scope) {
        self.name = name
        self.scope = scope
    }

    /// The name's alone: the few scopes a daemon serves would only spread one name's entries.
    public var shardHash: UInt { name.shardHash }
}

/// A key in one account and region.
public typealias KeyAddress = Scoped<KeyID>
