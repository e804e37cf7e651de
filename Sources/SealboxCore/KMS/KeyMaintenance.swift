import SealboxCrypto

// Maintenance: the moto reset, the purge of keys whose deletion window has ended, and automatic
// rotation. Each runs under the writer lock, as every change does.
extension KMS {
    /// Deletes every key, alias and grant; for `POST /moto-api/reset` on an ephemeral daemon.
    public func reset() throws {
        try writer.withLock {
            for key in keys.values { try store.deleteKey(key.address) }
            for alias in aliases.values { try store.deleteAlias(alias.address) }
            keys.removeAll()
            aliases.removeAll()
            aliasesByKey.removeAll()
            grants.removeAll()
            grantKeys.removeAll()
            messageKeys.removeAll()
        }
    }

    /// Deletes keys whose deletion window has ended, with their aliases and grants.
    /// - Returns: how many keys were deleted.
    @discardableResult
    public func purgeDeletedKeys() throws -> Int {
        try writer.withLock {
            let now = clock.now()
            let due = keys.values.filter { key in
                key.record.state == .pendingDeletion && (key.record.deletionDate ?? .infinity) <= now
            }
            for key in due {
                try store.deleteKey(key.address)
                keys[key.address] = nil
                for alias in aliases.values where alias.target == key.address {
                    aliases[alias.address] = nil
                }
                aliasesByKey[key.address] = nil
                for grant in grants[key.address] ?? [] { grantKeys[grant.id] = nil }
                grants[key.address] = nil
                try forgetReplica(key.record)
            }
            // A key created later under a deleted key's id (fixtures choose ids) must not find the
            // old key's message keys: its ciphertexts stay unreadable.
            if !due.isEmpty { messageKeys.removeAll() }
            return due.count
        }
    }

    /// Adds a new material version to every enabled key whose automatic rotation is due.
    /// - Returns: how many keys were rotated.
    @discardableResult
    public func rotateDueKeys() throws -> Int {
        try writer.withLock {
            let now = clock.now()
            var rotated = 0
            // A multi-Region replica rotates with its primary.
            for key in keys.values where key.record.state == .enabled && key.isPrimary {
                guard let due = key.record.nextRotationDate, due <= now else { continue }
                var stored = key.stored
                stored.versions.append(
                    try newVersion(
                        for: key.id, number: key.currentVersion + 1, type: .automatic, spec: key.record.spec))
                stored.record.rotationAnchor = now
                _ = try publish(stored, previous: key)
                rotated += 1
            }
            return rotated
        }
    }
}
