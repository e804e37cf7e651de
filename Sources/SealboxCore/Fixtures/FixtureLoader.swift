import Foundation
import SealboxCrypto

/// What applying fixtures changed; all zero when the state already matched.
public struct FixtureReport: Sendable, Encodable {
    public var keysCreated = 0
    public var keysChanged = 0
    public var parametersWritten = 0
    public var labelsMoved = 0
}

extension Fixtures {
    /// Brings the daemon's state in line with the fixtures: creates what is missing and rewrites what
    /// differs, and leaves alone what already matches, so applying a file twice changes nothing.
    /// Entries go through the same operations (and validation) as API calls.
    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - ssm: the Parameter Store.
    ///   - context: the caller; the endpoint has checked `admin:ImportFixtures`.
    ///   - origin: the file name, for errors.
    /// - Throws: `SetupError` naming the file, the entry and the reason.
    public func apply(kms: KMS, ssm: SSM, context: RequestContext, origin: String) throws -> FixtureReport {
        var report = FixtureReport()
        for (index, key) in keys.enumerated() {
            let place = "\(origin): keys[\(index)]"
            do {
                try apply(key, kms: kms, context: context, report: &report)
            } catch let error as AWSError {
                throw SetupError(description: "\(place): \(error.message)")
            }
        }
        for (index, parameter) in parameters.enumerated() {
            let place = "\(origin): parameters[\(index)] (\(parameter.name))"
            do {
                try apply(parameter, ssm: ssm, context: context, report: &report)
            } catch let error as AWSError {
                throw SetupError(description: "\(place): \(error.type): \(error.message)")
            }
        }
        return report
    }

    private func apply(_ fixture: Key, kms: KMS, context: RequestContext, report: inout FixtureReport) throws {
        let byAlias = fixture.aliases.lazy.compactMap { kms.aliases[$0] }.first.flatMap { kms.present($0.keyID) }
        var live = fixture.id.flatMap { kms.present($0) } ?? (fixture.id == nil ? byAlias : nil)
        if let existing = live, let material = fixture.material {
            guard let current = existing.material[1], current.constantTimeEquals(material.withUnsafeBytes(Array.init))
            else {
                throw AWSError.alreadyExists("key \(existing.id) already exists with other material")
            }
        }
        if live == nil {
            let record = KeyRecord(
                id: fixture.id ?? .random(), created: kms.clock.now(), description: fixture.description,
                manager: .customer, policy: KMS.defaultPolicy(context), tags: [])
            live = try kms.createKey(record, material: fixture.material)
            report.keysCreated += 1
        }
        let key = live!
        for alias in fixture.aliases where kms.aliases[alias]?.keyID != key.id {
            let operation = kms.aliases[alias] == nil ? "CreateAlias" : "UpdateAlias"
            try call(
                KMS.operations[operation]!, on: kms, ["AliasName": alias, "TargetKeyId": key.id.description], context)
            report.keysChanged += 1
        }
        if fixture.enabled != (key.record.state == .enabled) {
            try call(
                KMS.operations[fixture.enabled ? "EnableKey" : "DisableKey"]!, on: kms, ["KeyId": key.id.description],
                context)
            report.keysChanged += 1
        }
    }

    private func apply(_ fixture: Parameter, ssm: SSM, context: RequestContext, report: inout FixtureReport) throws {
        if try !matches(fixture, ssm: ssm, context: context) {
            var body: [String: Any] = [
                "Name": fixture.name, "Type": fixture.type.rawValue, "Value": fixture.value, "Overwrite": true,
            ]
            if let keyId = fixture.keyId { body["KeyId"] = keyId }
            if let description = fixture.description { body["Description"] = description }
            try call(SSM.operations["PutParameter"]!, on: ssm, body, context)
            report.parametersWritten += 1
        }
        let latest = ssm.parameters[fixture.name]?.versions.last
        let missing = fixture.labels.filter { !(latest?.labels.contains($0) ?? false) }
        if !missing.isEmpty, let latest {
            try call(
                SSM.operations["LabelParameterVersion"]!, on: ssm,
                ["Name": fixture.name, "ParameterVersion": latest.version, "Labels": missing], context)
            report.labelsMoved += missing.count
        }
    }

    /// Whether the latest version already holds this type, value, key and description.
    private func matches(_ fixture: Parameter, ssm: SSM, context: RequestContext) throws -> Bool {
        guard let latest = ssm.parameters[fixture.name]?.versions.last, latest.type == fixture.type,
            latest.description == fixture.description,
            fixture.type != .secureString || latest.keyId == (fixture.keyId ?? SSM.defaultKeyAlias)
        else { return false }
        let value = try ssm.plaintext(of: latest, context)
        return value.constantTimeEquals(Array(fixture.value.utf8))
    }

    private func call<Service: Sendable>(
        _ operation: AWSOperation<Service>,
        on service: Service,
        _ body: [String: Any],
        _ context: RequestContext
    ) throws {
        var context = context
        context.action = "fixtures:\(operation.name)"
        _ = try operation(service, body: Array(try JSONSerialization.data(withJSONObject: body)), context: context)
    }
}
