import SealboxCrypto

// Aliases: names for customer managed keys. The caller checks the name's form; these check the
// policy on the alias and on its key, and the key's state, under the writer lock.
extension KMS {
    /// Names a key.
    /// - Parameters:
    ///   - name: the alias, `alias/...`.
    ///   - target: the key id or key ARN.
    ///   - context: the caller.
    package func createAlias(_ name: String, target: String, context: RequestContext) throws(SealboxError) {
        try context.authorize([name])
        try withWriter { () throws(SealboxError) in
            let key = try aliasableKey(target, context)
            guard aliases[Scoped(name, in: context.scope)] == nil else {
                throw SealboxError.alreadyExists("An alias with the name \(aliasArn(name, context)) already exists")
            }
            let now = clock.now()
            try storeAlias(
                AliasRecord(name: name, scope: context.scope, keyID: key.id, created: now, updated: now))
        }
    }

    /// Points an existing alias at another key.
    /// - Parameters:
    ///   - name: the alias, `alias/...`.
    ///   - target: the key id or key ARN.
    ///   - context: the caller.
    package func updateAlias(_ name: String, target: String, context: RequestContext) throws(SealboxError) {
        try context.authorize([name])
        try withWriter { () throws(SealboxError) in
            guard var alias = aliases[Scoped(name, in: context.scope)] else {
                throw SealboxError.notFound("Alias \(aliasArn(name, context)) is not found.")
            }
            alias.keyID = try aliasableKey(target, context).id
            alias.updated = clock.now()
            try storeAlias(alias)
        }
    }

    /// Removes an alias; its key is untouched.
    /// - Parameters:
    ///   - name: the alias, `alias/...`.
    ///   - context: the caller.
    package func deleteAlias(_ name: String, context: RequestContext) throws(SealboxError) {
        try context.authorize([name])
        try withWriter { () throws(SealboxError) in
            guard aliases[Scoped(name, in: context.scope)] != nil else {
                throw SealboxError.notFound("Alias \(aliasArn(name, context)) is not found.")
            }
            try removeAlias(Scoped(name, in: context.scope))
        }
    }

    /// The key an alias may name: one the caller may use, not pending deletion, customer managed.
    private func aliasableKey(_ target: String, _ context: RequestContext) throws(SealboxError) -> LiveKey {
        let key = try resolve(target, context, allowAlias: false)
        try authorize(key, context)
        try requireNotPendingDeletion(key, context)
        try requireCustomerManaged(key, context)
        return key
    }
}
