import Foundation
import SealboxCore
import SealboxCrypto

/// What applying fixtures changed; all zero when the state already matched.
public struct FixtureReport: Sendable {
    public var keysCreated = 0
    public var keysChanged = 0
    public var parametersWritten = 0
    public var labelsMoved = 0
    public var secretsWritten = 0
}

extension Fixtures {
    /// Brings the daemon's state in line with the fixtures: creates what is missing and rewrites what
    /// differs, and leaves alone what already matches, so applying a file twice changes nothing.
    /// Entries go through the same operations (and validation) as API calls.
    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - ssm: the Parameter Store.
    ///   - secrets: Secrets Manager; a file with secrets is refused without it.
    ///   - context: the caller; the endpoint has checked `admin:ImportFixtures`.
    ///   - origin: the file name, for errors.
    ///   - persistent: whether the daemon keeps real secrets. Then fixtures may not set key material
    ///     (whoever chose it can decrypt everything under the key) nor move an alias from one key to
    ///     another (what callers encrypt under the alias would go to a key of the importer's choosing);
    ///     such a file is refused whole, before anything changes.
    /// - Throws: `SetupError` naming the file, the entry and the reason.
    public func apply(
        kms: KMS,
        ssm: SSM,
        secrets secretsManager: SecretsManager? = nil,
        context: RequestContext,
        origin: String,
        persistent: Bool = false
    ) throws -> FixtureReport {
        if persistent { try checkPersistent(kms: kms, home: context.scope, origin: origin) }
        var report = FixtureReport()
        for (index, key) in keys.enumerated() {
            let place = "\(origin): keys[\(index)]"
            do {
                try apply(key, kms: kms, context: context.within(key.scope(home: context.scope)), report: &report)
            } catch let error as SealboxError {
                throw SetupError(description: "\(place): \(error.message)")
            } catch let error as AWSError {
                throw SetupError(description: "\(place): \(error.message)")
            }
        }
        func place(_ index: Int) -> String { "\(origin): parameters[\(index)] (\(parameters[index].name))" }
        // Every parameter that differs is written in one transaction: all of them, or none.
        var writes: [(index: Int, request: PutParameterRequest, context: RequestContext)] = []
        for (index, parameter) in parameters.enumerated() {
            let context = context.within(parameter.scope(home: context.scope))
            do {
                if try !matches(parameter, ssm: ssm, context: context) {
                    writes.append((index, parameter.request, context))
                }
            } catch let error as SealboxError {
                throw SetupError(description: "\(place(index)): \(AWSError(error).type): \(error.message)")
            } catch let error as AWSError {
                throw SetupError(description: "\(place(index)): \(error.type): \(error.message)")
            }
        }
        do {
            try ssm.putParameters(writes.map { ($0.request, $0.context) }, allowingPublic: true)
            report.parametersWritten = writes.count
        } catch {
            let entry = error.index.map { place(writes[$0].index) } ?? "\(origin): parameters"
            throw SetupError(description: "\(entry): \(error.error.type): \(error.error.message)")
        }
        for (index, parameter) in parameters.enumerated() where !parameter.labels.isEmpty {
            do {
                let context = context.within(parameter.scope(home: context.scope))
                try label(parameter, ssm: ssm, context: context, report: &report)
            } catch let error as SealboxError {
                throw SetupError(description: "\(place(index)): \(AWSError(error).type): \(error.message)")
            } catch let error as AWSError {
                throw SetupError(description: "\(place(index)): \(error.type): \(error.message)")
            }
        }
        for (index, secret) in secrets.enumerated() {
            let place = "\(origin): secrets[\(index)] (\(secret.name))"
            guard let secretsManager else {
                throw SetupError(description: "\(place): this daemon serves no Secrets Manager secrets")
            }
            do {
                let context = context.within(secret.scope(home: context.scope))
                if try secretsManager.seed(secret.seed, context: context) { report.secretsWritten += 1 }
            } catch {
                throw SetupError(description: "\(place): \(AWSError(error).type): \(error.message)")
            }
        }
        return report
    }

    private func checkPersistent(kms: KMS, home: Scope, origin: String) throws {
        for (index, key) in keys.enumerated() {
            let scope = key.scope(home: home)
            let place = "\(origin): keys[\(index)]"
            if key.material != nil {
                throw SetupError(
                    description: "\(place): key material can be set only on an ephemeral daemon (--ephemeral)")
            }
            let target = key.id ?? key.aliases.lazy.compactMap { kms.aliases[Scoped($0, in: scope)]?.keyID }.first
            for alias in key.aliases {
                if let current = kms.aliases[Scoped(alias, in: scope)]?.keyID, current != target {
                    throw SetupError(
                        description:
                            "\(place): \(alias) points at key \(current); fixtures move an alias only on an ephemeral daemon"
                    )
                }
            }
        }
    }

    private func apply(_ fixture: Key, kms: KMS, context: RequestContext, report: inout FixtureReport) throws {
        let scope = context.scope
        let byAlias = fixture.aliases.lazy.compactMap { kms.aliases[Scoped($0, in: scope)] }.first.flatMap {
            kms.present($0.target)
        }
        var live = fixture.id.flatMap { kms.present(KeyAddress($0, in: scope)) } ?? (fixture.id == nil ? byAlias : nil)
        if let existing = live, let material = fixture.material {
            guard let current = existing.material[1], current.constantTimeEquals(material.withUnsafeBytes(Array.init))
            else {
                throw SealboxError.alreadyExists("key \(existing.id) already exists with other material")
            }
        }
        if let existing = live, (existing.record.multiRegion != nil) != fixture.multiRegion {
            throw SealboxError.alreadyExists(
                "key \(existing.id) already exists as a \(fixture.multiRegion ? "single" : "multi")-Region key")
        }
        if let existing = live, existing.record.spec != fixture.spec || existing.record.usage != fixture.usage {
            throw SealboxError.alreadyExists(
                "key \(existing.id) already exists as a \(existing.record.spec.rawValue) "
                    + "\(existing.record.usage.rawValue) key")
        }
        let created = live == nil
        if live == nil {
            var record = KeyRecord(
                id: fixture.id ?? (fixture.multiRegion ? .randomMultiRegion() : .random()), scope: scope,
                created: kms.clock.now(),
                description: fixture.description ?? "",
                manager: .customer, policy: KMS.defaultPolicy(context), tags: [], spec: fixture.spec,
                usage: fixture.usage)
            if fixture.multiRegion { record.multiRegion = MultiRegionSet(primaryRegion: scope.region) }
            live = try kms.createKey(record, material: fixture.material)
        }
        let key = live!
        var changed = false
        let replicated = Set(key.record.multiRegion?.regions ?? [])
        for region in fixture.replicaRegions where !replicated.contains(region) {
            _ = try kms.replicate(
                key.idText,
                KMS.ReplicaRequest(
                    region: region, policy: KMS.defaultPolicy(context), description: fixture.description ?? "",
                    tags: []),
                context: context)
            changed = true
        }
        for alias in fixture.aliases where kms.aliases[Scoped(alias, in: scope)]?.keyID != key.id {
            if kms.aliases[Scoped(alias, in: scope)] == nil {
                try kms.createAlias(alias, target: key.id.description, context: context)
            } else {
                try kms.updateAlias(alias, target: key.id.description, context: context)
            }
            changed = true
        }
        if let description = fixture.description, description != key.record.description {
            try kms.updateDescription(of: key.id.description, to: description, context: context)
            changed = true
        }
        if fixture.enabled != (key.record.state == .enabled) {
            try kms.setEnabled(fixture.enabled, key: key.id.description, context: context)
            changed = true
        }
        // A key made just now counts as created, not also as changed.
        if created {
            report.keysCreated += 1
        } else if changed {
            report.keysChanged += 1
        }
    }

    private func label(_ fixture: Parameter, ssm: SSM, context: RequestContext, report: inout FixtureReport) throws {
        let latest = ssm.parameter(named: fixture.name, context)?.versions.last
        let missing = fixture.labels.filter { !(latest?.labels.contains($0) ?? false) }
        if !missing.isEmpty, let latest {
            _ = try ssm.label(missing, of: fixture.name, version: latest.version, context: context)
            report.labelsMoved += missing.count
        }
    }

    /// Whether the latest version already holds this type, value, key and (when given) description.
    private func matches(_ fixture: Parameter, ssm: SSM, context: RequestContext) throws -> Bool {
        guard let latest = ssm.parameter(named: fixture.name, context)?.versions.last, latest.type == fixture.type,
            fixture.description == nil || latest.description == fixture.description,
            // Intelligent-Tiering resolves to Standard or Advanced: whichever the version has matches.
            [nil, "Intelligent-Tiering", latest.tier].contains(fixture.tier),
            fixture.dataType == nil || latest.dataType == fixture.dataType,
            fixture.type != .secureString || latest.keyId == (fixture.keyId ?? SSM.defaultKeyAlias)
        else { return false }
        let value = try ssm.plaintext(of: latest, named: fixture.name, context)
        return value.constantTimeEquals(Array(fixture.value.utf8))
    }
}

extension Fixtures.Secret {
    /// The secret as Secrets Manager seeds it.
    var seed: SecretSeed {
        SecretSeed(
            name: name, description: description, kmsKeyId: kmsKeyId, tags: tags,
            versions: versions.map {
                SecretSeed.Version(
                    id: $0.id, value: $0.binary ? .binary($0.value) : .string($0.value), stages: $0.stages)
            })
    }
}

extension Fixtures.Parameter {
    /// The PutParameter request that writes this fixture as a new version.
    var request: PutParameterRequest {
        PutParameterRequest(
            name: name, description: description, value: value, type: type.rawValue, keyId: keyId, overwrite: true,
            tier: tier, dataType: dataType)
    }
}

extension Fixtures {
    /// These fixtures with each key's id and version-1 material as applying them made them, so that
    /// applying them again after a reset makes the same keys: a ciphertext made before the reset
    /// still opens. Only for an ephemeral daemon, which keeps them in memory.
    /// - Parameters:
    ///   - kms: the KMS the fixtures were applied to.
    ///   - home: the daemon's account and region.
    public func pinningKeys(in kms: KMS, home: Scope) -> Fixtures {
        var pinned = self
        for index in pinned.keys.indices where pinned.keys[index].id == nil || pinned.keys[index].material == nil {
            let fixture = pinned.keys[index]
            let scope = fixture.scope(home: home)
            let live =
                fixture.id.flatMap { kms.present(KeyAddress($0, in: scope)) }
                ?? fixture.aliases.lazy.compactMap { kms.aliases[Scoped($0, in: scope)] }.first.flatMap {
                    kms.present($0.target)
                }
            guard let live else { continue }
            pinned.keys[index].id = live.id
            if fixture.material == nil, let material = live.material[1] { pinned.keys[index].material = material }
        }
        return pinned
    }
}
