import Foundation
import SealboxCore
import SealboxCrypto
import Yams

extension Fixtures {
    /// The current state as fixtures: customer keys (not pending deletion) with their aliases,
    /// enabled flag and, if asked, the material of version 1; every parameter's latest version with
    /// its plaintext value and labels; every secret not scheduled for deletion with each version's id,
    /// value and labels. Rotation history, older parameter versions and access keys are not part of
    /// the format. Importing the result into an empty daemon reproduces the export.
    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - ssm: the Parameter Store.
    ///   - secrets: Secrets Manager, if the daemon serves it.
    ///   - context: the caller, for decrypting SecureString values.
    ///   - includeMaterial: export key material (ephemeral test daemons only).
    public static func export(
        kms: KMS, ssm: SSM, secrets: SecretsManager? = nil, context: RequestContext, includeMaterial: Bool
    ) throws -> [String: Any] {
        var keys: [[String: Any]] = []
        for key in kms.keys.values.sorted(by: { $0.idText < $1.idText })
        where key.record.manager == .customer && !key.record.state.isPendingDeletion && key.isPrimary {
            var entry: [String: Any] = ["id": key.idText, "enabled": key.record.state == .enabled]
            if key.record.scope.region != context.region { entry["region"] = key.record.scope.region }
            if key.record.scope.account != context.accountID { entry["account"] = key.record.scope.account }
            if let set = key.record.multiRegion {
                entry["multiRegion"] = true
                if !set.replicaRegions.isEmpty { entry["replicaRegions"] = set.replicaRegions }
            }
            if !key.record.description.isEmpty { entry["description"] = key.record.description }
            let aliases = (kms.aliasesByKey[key.address] ?? []).sorted()
            if !aliases.isEmpty { entry["aliases"] = aliases }
            if key.record.spec != .symmetricDefault {
                entry["keySpec"] = key.record.spec.rawValue
                entry["keyUsage"] = key.record.usage.rawValue
            }
            if includeMaterial, let material = key.material[1] {
                let encoded = Base64.encode(material.withUnsafeBytes(Array.init))
                entry["material"] = key.record.spec.asymmetric == nil ? encoded : Self.pem(encoded)
            }
            keys.append(entry)
        }
        var parameters: [[String: Any]] = []
        for address in ssm.allAddresses() {
            guard let latest = ssm.parameter(named: address.name, in: address.scope)?.versions.last else { continue }
            let name = address.name
            let value = try ssm.plaintext(of: latest, named: name, context)
            var entry: [String: Any] = [
                "name": name, "type": latest.type.rawValue,
                "value": String(decoding: value.withUnsafeBytes(Array.init), as: UTF8.self),
            ]
            // A public parameter's empty account is the fixture's way of naming none: the loader puts
            // every `/aws/service/` name there.
            if address.scope.region != context.region { entry["region"] = address.scope.region }
            if !address.scope.account.isEmpty, address.scope.account != context.accountID {
                entry["account"] = address.scope.account
            }
            if latest.type == .secureString, let keyId = latest.keyId, keyId != SSM.defaultKeyAlias {
                entry["keyId"] = keyId
            }
            if let description = latest.description { entry["description"] = description }
            if latest.tier != "Standard" { entry["tier"] = latest.tier }
            if latest.dataType != "text" { entry["dataType"] = latest.dataType }
            if !latest.labels.isEmpty { entry["labels"] = latest.labels.sorted() }
            parameters.append(entry)
        }
        guard let secrets else { return ["keys": keys, "parameters": parameters] }
        return ["keys": keys, "parameters": parameters, "secrets": try export(secrets, context)]
    }

    /// Every secret not scheduled for deletion, by scope and name, with its versions oldest first.
    private static func export(_ secrets: SecretsManager, _ context: RequestContext) throws -> [[String: Any]] {
        let all = secrets.secrets.values.filter { $0.metadata.deletionDate == nil }.sorted {
            ($0.scope.account, $0.scope.region, $0.name) < ($1.scope.account, $1.scope.region, $1.name)
        }
        return try all.map { secret in
            var entry: [String: Any] = ["name": secret.name]
            if secret.scope.region != context.region { entry["region"] = secret.scope.region }
            if secret.scope.account != context.accountID { entry["account"] = secret.scope.account }
            if let description = secret.metadata.description { entry["description"] = description }
            if let key = secret.metadata.kmsKeyId { entry["kmsKeyId"] = key }
            if !secret.metadata.tags.isEmpty {
                entry["tags"] = Dictionary(secret.metadata.tags.map { ($0.key, $0.value) }) { _, last in last }
            }
            entry["versions"] = try secret.versions.map { version -> [String: Any] in
                let value = try secrets.open(version, of: secret, context).withUnsafeBytes(Array.init)
                var item: [String: Any] = ["id": version.id]
                if version.binary {
                    item["binary"] = Base64.encode(value)
                } else {
                    item["value"] = String(decoding: value, as: UTF8.self)
                }
                if !version.stages.isEmpty { item["stages"] = version.stages }
                return item
            }
            return entry
        }
    }

    /// Renders an export as YAML or JSON.
    /// - Parameters:
    ///   - export: the result of ``export(kms:ssm:context:includeMaterial:)``.
    ///   - json: JSON instead of YAML.
    public static func render(_ export: [String: Any], json: Bool) throws -> String {
        if json {
            let data = try JSONSerialization.data(
                withJSONObject: export, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        return try Yams.dump(object: export, sortKeys: true)
    }

    /// PKCS#8 DER, base64-encoded, as a PEM private key: 64 characters a line.
    static func pem(_ base64: String) -> String {
        var lines = ["-----BEGIN PRIVATE KEY-----"]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END PRIVATE KEY-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
