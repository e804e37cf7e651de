import SealboxCore
import SealboxCrypto

/// Copies a whole store into an empty one, row for row: keys with their wrapped material, aliases,
/// grants, daemon secrets, service settings, parameters and secrets with every version. Nothing is
/// unwrapped or decrypted, so no root key is needed; the target serves under the source's root key.
public struct StoreCopy {
    /// What was copied, and what the target then holds.
    public struct Counts: Equatable, Sendable, CustomStringConvertible {
        public var keys = 0
        public var aliases = 0
        public var grants = 0
        public var daemonSecrets = 0
        public var serviceSettings = 0
        public var parameters = 0
        public var parameterVersions = 0
        public var secrets = 0
        public var secretVersions = 0

        public var description: String {
            "\(keys) keys, \(aliases) aliases, \(grants) grants, \(parameters) parameters (\(parameterVersions) versions), "
                + "\(secrets) secrets (\(secretVersions) versions), \(serviceSettings) service settings, "
                + "\(daemonSecrets) daemon secrets"
        }
    }

    /// Writes of parameters are grouped into transactions this large.
    static let batch = 500

    let source: any SealboxStorage
    let target: any SealboxStorage

    /// - Parameters:
    ///   - source: the store to read.
    ///   - target: an empty store to fill.
    public init(from source: any SealboxStorage, to target: any SealboxStorage) {
        self.source = source
        self.target = target
    }

    /// Counts what a store holds.
    /// - Parameter store: the store.
    public static func count(_ store: any SealboxStorage) throws -> Counts {
        var counts = Counts()
        let keys = try store.loadKeys()
        counts.keys = keys.count
        counts.aliases = try store.loadAliases().count
        counts.grants = try store.loadGrants().count
        counts.daemonSecrets = try store.loadDaemonSecrets().count
        counts.serviceSettings = try store.loadServiceSettings().count
        try store.loadParameters(
            reserve: { _ in },
            { parameter in
                counts.parameters += 1
                counts.parameterVersions += parameter.versions.count
            })
        for secret in try store.loadSecrets() {
            counts.secrets += 1
            counts.secretVersions += secret.versions.count
        }
        return counts
    }

    /// Copies everything, then counts the target and compares.
    /// - Parameter progress: called with a stage's name, what is done and the total.
    /// - Returns: what was copied.
    /// - Throws: ``SetupError`` when the target is not empty, or holds other counts afterwards.
    public func run(progress: (String, Int, Int) -> Void) throws -> Counts {
        guard try Self.count(target) == Counts() else {
            throw SetupError(description: "the target store is not empty; copy only into a new, empty store")
        }
        let expected = try Self.count(source)
        let keys = try source.loadKeys()
        for (done, start) in stride(from: 0, to: keys.count, by: Self.batch).enumerated() {
            try target.saveKeys(Array(keys[start..<min(start + Self.batch, keys.count)]))
            progress("keys", min((done + 1) * Self.batch, keys.count), keys.count)
        }
        for alias in try source.loadAliases() { try target.saveAlias(alias) }
        for grant in try source.loadGrants() { try target.saveGrant(grant) }
        for (name, wrapped) in try source.loadDaemonSecrets() { try target.saveSecret(name, wrapped) }
        for setting in try source.loadServiceSettings() { try target.saveServiceSetting(setting) }
        var pending: [ParameterChange] = []
        var copied = 0
        func flush() throws {
            try target.apply(pending)
            copied += pending.count
            pending.removeAll(keepingCapacity: true)
            progress("parameters", copied, expected.parameters)
        }
        try source.loadParameters(
            reserve: { _ in },
            { parameter in
                pending.append(
                    ParameterChange(parameter: parameter, writtenVersions: parameter.versions.map(\.version)))
                if pending.count == Self.batch { try flush() }
            })
        if !pending.isEmpty { try flush() }
        let secrets = try source.loadSecrets()
        for (done, secret) in secrets.enumerated() {
            try target.apply([SecretChange(secret: secret, writtenVersions: secret.versions.map(\.id))])
            progress("secrets", done + 1, secrets.count)
        }
        let copiedCounts = try Self.count(target)
        guard copiedCounts == expected else {
            throw SetupError(
                description: "the copy does not match its source: source holds \(expected), target \(copiedCounts)")
        }
        return copiedCounts
    }
}
