import Foundation
import SealboxCore
import SealboxCrypto
import Yams

extension Fixtures {
    /// The current state as fixtures: customer keys (not pending deletion) with their aliases,
    /// enabled flag and, if asked, the material of version 1; every parameter's latest version with
    /// its plaintext value and labels. Rotation history, older parameter versions and access keys are
    /// not part of the format. Importing the result into an empty daemon reproduces the export.
    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - ssm: the Parameter Store.
    ///   - context: the caller, for decrypting SecureString values.
    ///   - includeMaterial: export key material (ephemeral test daemons only).
    public static func export(kms: KMS, ssm: SSM, context: RequestContext, includeMaterial: Bool) throws
        -> [String: Any]
    {
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
        return ["keys": keys, "parameters": parameters]
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
