// Following a shared store: a key, alias or grant another daemon changed is read again. Material
// this daemon already unwrapped is reused; a new version is unwrapped once, here, off the hot path.
extension KMS {
    /// Loads one key again from the store; a key gone from it takes its aliases and grants along.
    /// - Parameter address: the key in its account and region.
    package func refresh(key address: KeyAddress) throws {
        try writer.withLock {
            guard let stored = try store.loadKey(address) else {
                guard keys[address] != nil else { return }
                keys[address] = nil
                for alias in aliases.values where alias.target == address { aliases[alias.address] = nil }
                aliasesByKey[address] = nil
                for grant in grants[address] ?? [] { grantKeys[grant.id] = nil }
                grants[address] = nil
                // A key made again under the id (fixtures choose ids) must not find the old one's message keys.
                messageKeys.removeAll()
                return
            }
            keys[address] = try live(stored, reusing: keys[address])
        }
    }

    /// Loads the aliases again: they are few, and one move can touch two keys' lists.
    package func refreshAliases() throws {
        try writer.withLock {
            let stored = try store.loadAliases()
            let kept = Set(stored.map(\.address))
            for alias in aliases.values where !kept.contains(alias.address) { aliases[alias.address] = nil }
            for alias in stored { aliases[alias.address] = alias }
            rebuildAliasIndex()
        }
    }

    /// Loads one key's grants again.
    /// - Parameter address: the key whose grants changed.
    package func refresh(grantsOf address: KeyAddress) throws {
        try writer.withLock {
            let stored = try store.loadGrants().filter { $0.key == address }
                .sorted { ($0.created, $0.id) < ($1.created, $1.id) }
            for grant in grants[address] ?? [] { grantKeys[grant.id] = nil }
            for grant in stored { grantKeys[grant.id] = address }
            grants[address] = stored.isEmpty ? nil : stored
        }
    }
}
