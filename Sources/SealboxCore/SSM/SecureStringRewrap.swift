import SealboxCrypto

/// How far a rewrap got.
public struct RewrapProgress: Sendable {
    /// Data keys re-wrapped by this call.
    public var rewrapped: Int
    /// Data keys still wrapped under an older version, for the next call.
    public var remaining: Int
    /// Parameters whose SecureString did not open and was left as it was (names only).
    public var failed: [String]
}

extension SSM {
    /// Re-wraps the data keys of stored SecureString versions under the current version of their
    /// KMS key, at most `limit` per call, each batch in one transaction. Values are never decrypted;
    /// a crash between batches leaves every value readable, and the next call carries on.
    /// - Parameters:
    ///   - reference: only data keys of this key (id, ARN or alias); every key when nil.
    ///   - limit: the most data keys to re-wrap in this call.
    ///   - context: the caller; needs `admin:RewrapKeys` on the key (on `*` when no key is named).
    public func rewrap(key reference: String?, limit: Int, context: RequestContext) throws(SealboxError)
        -> RewrapProgress
    {
        var only: KeyAddress? = nil
        if let reference {
            let key = try kms.resolve(reference, context)
            try kms.authorize(key, context)
            only = key.address
        } else {
            try context.authorize(["*"])
        }
        return try withWriter { () throws(SealboxError) -> RewrapProgress in
            var progress = RewrapProgress(rewrapped: 0, remaining: 0, failed: [])
            var changes: [ParameterChange] = []
            for address in allAddresses() {
                guard var parameter = parameters[address] else { continue }
                let name = address.name
                var written: [Int] = []
                for (index, version) in parameter.versions.enumerated() where version.type == .secureString {
                    guard let (id, wrappedUnder) = kms.wrappingVersion(of: version.value),
                        let scope = version.sealedScope, only == nil || KeyAddress(id, in: scope) == only,
                        let key = kms.present(KeyAddress(id, in: scope)), wrappedUnder < key.currentVersion
                    else { continue }
                    guard progress.rewrapped < limit else {
                        progress.remaining += 1
                        continue
                    }
                    guard let arn = version.contextArn(name: name) else {
                        progress.failed.append(name)
                        continue
                    }
                    let encryptionContext = EncryptionContext.parameter(arn: arn)
                    do {
                        if let token = try kms.rewrapDataKey(
                            version.value, in: scope, encryptionContext: encryptionContext)
                        {
                            parameter.versions[index].value = token
                            written.append(version.version)
                            progress.rewrapped += 1
                        }
                    } catch {
                        progress.failed.append(name)
                    }
                }
                if !written.isEmpty {
                    changes.append(ParameterChange(parameter: parameter, writtenVersions: written))
                }
            }
            if !changes.isEmpty { try commit(changes) }
            return progress
        }
    }

    /// How many stored SecureString data keys of `key` are wrapped under a version below `floor`.
    /// - Parameters:
    ///   - key: the KMS key.
    ///   - floor: the version.
    public func dataKeys(of key: KeyAddress, below floor: UInt32) -> Int {
        var count = 0
        for address in allAddresses() {
            for version in parameters[address]?.versions ?? [] where version.type == .secureString {
                if let (id, wrappedUnder) = kms.wrappingVersion(of: version.value), let scope = version.sealedScope,
                    KeyAddress(id, in: scope) == key, wrappedUnder < floor
                {
                    count += 1
                }
            }
        }
        return count
    }
}
