import Foundation
import SealboxCore
import SealboxCrypto
import Yams

/// A seed of keys, aliases, parameters and access keys for test suites: `--fixtures FILE`,
/// `sealbox fixtures import|export` and the state `POST /moto-api/reset` returns to.
///
/// ```yaml
/// keys:
///   - id: 1234abcd-12ab-34cd-56ef-1234567890ab   # optional: a fixed key id
///     description: app key
///     aliases: [alias/app]
///     material: <base64 of 32 bytes>             # optional: reproducible ciphertexts or MACs
///     enabled: true
///   - id: 0b9d2a1c-0000-4000-8000-000000000001
///     keySpec: HMAC_256                          # default SYMMETRIC_DEFAULT; or HMAC_224|384|512
///     keyUsage: GENERATE_VERIFY_MAC              # default: the one usage the spec allows
///     material: <base64 of 32 bytes>             # HMAC_224: 28, 256: 32, 384: 48, 512: 64
///   - id: 0b9d2a1c-0000-4000-8000-000000000002
///     keySpec: ECC_NIST_P256                     # RSA_2048|3072|4096, ECC_NIST_P256|P384|P521, ECC_SECG_P256K1
///     keyUsage: SIGN_VERIFY                      # RSA: ENCRYPT_DECRYPT or SIGN_VERIFY; NIST curves: or KEY_AGREEMENT
///     material: |                                # an unencrypted PEM private key of that spec
///       -----BEGIN PRIVATE KEY-----
///       ...
///       -----END PRIVATE KEY-----
/// parameters:
///   - name: /app/db/password
///     type: SecureString                         # String, StringList or SecureString
///     keyId: alias/app                           # default alias/aws/ssm
///     value: s3cr3t
///     labels: [live]
/// secrets:                                       # Secrets Manager secrets
///   - name: prod/db
///     kmsKeyId: alias/app                        # default alias/aws/secretsmanager
///     description: database login
///     tags: {team: payments}
///     value: '{"user":"app","password":"s3cr3t"}'  # or binary: <base64>; the AWSCURRENT version
///   - name: prod/api-key
///     versions:                                  # oldest first; exactly one AWSCURRENT
///       - {value: old-key, stages: [AWSPREVIOUS]}
///       - {id: 0b9d2a1c-0000-4000-8000-000000000003, value: new-key, stages: [AWSCURRENT]}
/// accessKeys:                                    # SigV4 keys for TCP, mapped to policy principals
///   - {id: AKIATESTHANDLER00001, secret: test-secret, principal: handlers}
/// ```
///
/// The same keys in JSON are accepted. Unknown keys and bad values are refused with the file, the
/// entry and the reason.
public struct Fixtures: Sendable {
    /// One key.
    public struct Key: Sendable {
        public var id: KeyID?
        /// Nil leaves an existing key's description as it is.
        public var description: String?
        public var aliases: [String]
        /// The material of version 1; random when nil.
        public var material: SecureBytes?
        public var enabled: Bool
        public var spec: KeySpec = .symmetricDefault
        public var usage: KeyUsage = .encryptDecrypt
        /// Where the key and its aliases go; nil for the daemon's `--region` and `--account-id`.
        public var region: String? = nil
        public var account: String? = nil
        /// A multi-Region primary key (an `mrk-` id), with replicas in these regions.
        public var multiRegion = false
        public var replicaRegions: [String] = []

        /// The key's scope, for a daemon whose own is `home`.
        /// - Parameter home: the daemon's account and region.
        public func scope(home: Scope) -> Scope {
            Scope(account: account ?? home.account, region: region ?? home.region)
        }
    }

    /// One parameter, as its latest version.
    public struct Parameter: Sendable {
        public var name: String
        public var type: ParameterType
        public var value: String
        public var keyId: String?
        public var description: String?
        public var labels: [String]
        /// `Standard` (the default), `Advanced` or `Intelligent-Tiering`.
        public var tier: String? = nil
        /// `text` (the default), `aws:ec2:image` or `aws:ssm:integration`.
        public var dataType: String? = nil
        /// Where the parameter goes; nil for the daemon's `--region` and `--account-id`.
        public var region: String? = nil
        public var account: String? = nil

        /// The account and region the parameter is written in.
        /// - Parameter home: the daemon's account and region.
        public func scope(home: Scope) -> Scope {
            Scope(account: account ?? home.account, region: region ?? home.region)
        }
    }

    /// One Secrets Manager secret and its versions.
    public struct Secret: Sendable {
        /// One version: its value as the file gives it (text, or the bytes a base64 `binary` names).
        public struct Version: Sendable {
            public var id: String?
            public var value: SecureBytes
            public var binary: Bool
            public var stages: [String]
        }

        public var name: String
        public var description: String?
        public var kmsKeyId: String?
        public var tags: [KeyTag]?
        /// Oldest first; exactly one carries AWSCURRENT.
        public var versions: [Version]
        /// Where the secret goes; nil for the daemon's `--region` and `--account-id`.
        public var region: String? = nil
        public var account: String? = nil

        /// The account and region the secret is written in.
        /// - Parameter home: the daemon's account and region.
        public func scope(home: Scope) -> Scope {
            Scope(account: account ?? home.account, region: region ?? home.region)
        }
    }

    /// A SigV4 access key, with its secret inline in the file (these are test credentials).
    public typealias AccessKey = SealboxCore.AccessKey

    public var keys: [Key] = []
    public var parameters: [Parameter] = []
    public var secrets: [Secret] = []
    public var accessKeys: [AccessKey] = []

    public init() {}

    /// Reads and validates a fixture file.
    /// - Parameter path: the YAML or JSON file.
    public static func load(_ path: String) throws -> Fixtures {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SetupError(description: "\(path): cannot read the fixture file")
        }
        return try parse(String(decoding: data, as: UTF8.self), origin: path)
    }

    /// Parses fixture text.
    /// - Parameters:
    ///   - text: YAML or JSON.
    ///   - origin: the file name, for errors.
    public static func parse(_ text: String, origin: String) throws -> Fixtures {
        func fail(_ place: String, _ message: String) -> SetupError {
            SetupError(description: "\(origin): \(place): \(message)")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { return Fixtures() }
            root = node
        } catch {
            throw SetupError(description: "\(origin): not valid YAML or JSON: \(error)")
        }
        guard let top = root.mapping else { throw fail("top level", "must be a mapping") }
        var fixtures = Fixtures()
        for (keyNode, value) in top {
            let section = keyNode.string ?? ""
            guard ["keys", "parameters", "secrets", "accessKeys"].contains(section) else {
                throw fail(section, "unknown section (expected keys, parameters, secrets, accessKeys)")
            }
            guard let entries = value.sequence else { throw fail(section, "must be a list") }
            for (index, entry) in entries.enumerated() {
                let place = "\(section)[\(index)]"
                guard let mapping = entry.mapping else { throw fail(place, "must be a mapping") }
                switch section {
                case "keys": fixtures.keys.append(try parseKey(mapping, place, fail))
                case "parameters": fixtures.parameters.append(try parseParameter(mapping, place, fail))
                case "secrets": fixtures.secrets.append(try parseSecret(mapping, place, fail))
                default: fixtures.accessKeys.append(try parseAccessKey(mapping, place, fail))
                }
            }
        }
        try checkUnique(fixtures, fail)
        return fixtures
    }

    private typealias Fail = (String, String) -> SetupError

    private static func fields(_ mapping: Node.Mapping, _ allowed: [String], _ place: String, _ fail: Fail) throws
        -> [String: Node]
    {
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            guard allowed.contains(key) else {
                throw fail(place, "unknown key '\(key)' (expected \(allowed.joined(separator: ", ")))")
            }
            result[key] = value
        }
        return result
    }

    /// An entry's `region` and `account`, each checked for its form; nil where the entry has none.
    private static func scope(_ node: [String: Node], _ place: String, _ fail: Fail) throws -> (String?, String?) {
        let region = try scalar(node["region"], "region", place, fail)
        if let region, !Scope.isRegionName(region) {
            throw fail(place, "region '\(region)' is not a region name (lowercase letters, digits and -)")
        }
        let account = try scalar(node["account"], "account", place, fail)
        if let account, !Scope.isAccountID(account) {
            throw fail(place, "account must be 12 digits, not '\(account)'")
        }
        return (region, account)
    }

    private static func scalar(_ node: Node?, _ name: String, _ place: String, _ fail: Fail) throws -> String? {
        guard let node else { return nil }
        guard let text = node.scalar?.string else { throw fail(place, "\(name) must be a single value") }
        return text
    }

    private static func list(_ node: Node?, _ name: String, _ place: String, _ fail: Fail) throws -> [String] {
        guard let node else { return [] }
        let strings = node.sequence?.compactMap { $0.scalar?.string }
        guard let strings, strings.count == node.sequence?.count else {
            throw fail(place, "\(name) must be a list of values")
        }
        return strings
    }

    private static func parseKey(_ mapping: Node.Mapping, _ place: String, _ fail: Fail) throws -> Key {
        let node = try fields(
            mapping,
            [
                "id", "description", "aliases", "keySpec", "keyUsage", "material", "enabled", "region", "account",
                "multiRegion", "replicaRegions",
            ], place, fail)
        let (region, account) = try scope(node, place, fail)
        var id: KeyID? = nil
        if let text = try scalar(node["id"], "id", place, fail) {
            guard let parsed = KeyID(text) else { throw fail(place, "id '\(text)' is not a key id (a UUID)") }
            id = parsed
        }
        let aliases = try list(node["aliases"], "aliases", place, fail)
        for alias in aliases {
            guard alias.hasPrefix("alias/"), alias.count > 6, !alias.hasPrefix("alias/aws/") else {
                throw fail(place, "alias '\(alias)' must start with alias/ and not with the reserved alias/aws/")
            }
        }
        guard id != nil || !aliases.isEmpty else {
            throw fail(place, "a key needs an id or an alias, so that loading the file twice finds it again")
        }
        var spec = KeySpec.symmetricDefault
        if let text = try scalar(node["keySpec"], "keySpec", place, fail) {
            guard let parsed = KeySpec(rawValue: text), parsed.isSupported else {
                let supported = KeySpec.allCases.filter(\.isSupported).map(\.rawValue)
                throw fail(place, "keySpec '\(text)' is not one Sealbox creates (\(supported.joined(separator: ", ")))")
            }
            spec = parsed
        }
        var usage = spec.usages[0]
        if let text = try scalar(node["keyUsage"], "keyUsage", place, fail) {
            guard let parsed = KeyUsage(rawValue: text), spec.usages.contains(parsed) else {
                throw fail(
                    place,
                    "keyUsage '\(text)' does not go with keySpec \(spec.rawValue) (expected "
                        + spec.usages.map(\.rawValue).joined(separator: ", ") + ")")
            }
            usage = parsed
        }
        var material: SecureBytes? = nil
        if let text = try scalar(node["material"], "material", place, fail) {
            if let asymmetric = spec.asymmetric {
                guard let key = try? PrivateKey(pem: text) else {
                    throw fail(place, "material of a \(spec.rawValue) key must be an unencrypted PEM private key")
                }
                guard key.spec == asymmetric else {
                    let actual = KeySpec(key.spec)?.rawValue ?? "another type"
                    throw fail(place, "material is a \(actual) private key, not \(spec.rawValue)")
                }
                material = try key.pkcs8()
            } else {
                let length = spec.materialLength!
                guard let bytes = try? Base64.decodeSecure(Array(text.utf8)), bytes.count == length else {
                    throw fail(
                        place, "material of a \(spec.rawValue) key must be the base64 of exactly \(length) bytes")
                }
                material = bytes
            }
        }
        var enabled = true
        if let text = try scalar(node["enabled"], "enabled", place, fail) {
            guard let flag = Bool(text) else { throw fail(place, "enabled must be true or false") }
            enabled = flag
        }
        // An mrk- id makes a multi-Region key; `multiRegion: true` asks for one.
        var multiRegion = id?.isMultiRegion ?? false
        if let text = try scalar(node["multiRegion"], "multiRegion", place, fail) {
            guard let flag = Bool(text) else { throw fail(place, "multiRegion must be true or false") }
            guard flag == multiRegion || id == nil else {
                throw fail(place, "a multi-Region key's id is mrk- and 32 hex digits; any other id is single-Region")
            }
            multiRegion = flag
        }
        let replicaRegions = try list(node["replicaRegions"], "replicaRegions", place, fail)
        for replica in replicaRegions where !Scope.isRegionName(replica) || replica == region {
            throw fail(place, "replicaRegions: '\(replica)' is not a region name, or is the key's own region")
        }
        if !replicaRegions.isEmpty, !multiRegion {
            throw fail(place, "replicaRegions needs a multi-Region key (multiRegion: true)")
        }
        return Key(
            id: id, description: try scalar(node["description"], "description", place, fail),
            aliases: aliases, material: material, enabled: enabled, spec: spec, usage: usage, region: region,
            account: account, multiRegion: multiRegion, replicaRegions: replicaRegions)
    }

    private static func parseParameter(_ mapping: Node.Mapping, _ place: String, _ fail: Fail) throws -> Parameter {
        let node = try fields(
            mapping,
            ["name", "type", "value", "keyId", "description", "labels", "tier", "dataType", "region", "account"],
            place, fail)
        guard let name = try scalar(node["name"], "name", place, fail), !name.isEmpty else {
            throw fail(place, "name is required")
        }
        let place = "\(place) (\(name))"
        let typeText = try scalar(node["type"], "type", place, fail) ?? "String"
        guard let type = ParameterType(rawValue: typeText) else {
            throw fail(place, "type must be String, StringList or SecureString, not '\(typeText)'")
        }
        let value: String
        if type == .stringList, let items = node["value"]?.sequence {
            value = try list(node["value"], "value", place, fail).joined(separator: ",")
            guard !items.isEmpty else { throw fail(place, "value is required") }
        } else {
            guard let text = try scalar(node["value"], "value", place, fail), !text.isEmpty else {
                throw fail(place, "value is required")
            }
            value = text
        }
        let keyId = try scalar(node["keyId"], "keyId", place, fail)
        guard keyId == nil || type == .secureString else { throw fail(place, "keyId applies only to SecureString") }
        let (region, account) = try scope(node, place, fail)
        return Parameter(
            name: name, type: type, value: value, keyId: keyId,
            description: try scalar(node["description"], "description", place, fail),
            labels: try list(node["labels"], "labels", place, fail),
            tier: try scalar(node["tier"], "tier", place, fail),
            dataType: try scalar(node["dataType"], "dataType", place, fail), region: region, account: account)
    }

    private static func parseSecret(_ mapping: Node.Mapping, _ place: String, _ fail: Fail) throws -> Secret {
        let node = try fields(
            mapping,
            ["name", "description", "kmsKeyId", "tags", "value", "binary", "versions", "region", "account"],
            place, fail)
        guard let name = try scalar(node["name"], "name", place, fail), !name.isEmpty else {
            throw fail(place, "name is required")
        }
        let place = "\(place) (\(name))"
        guard name.utf8.count <= 512, SecretsManager.isValidName(name) else {
            throw fail(place, "name must be 1 to 512 of a-z A-Z 0-9 and -/_+=.@!")
        }
        var tags: [KeyTag]? = nil
        if let tagNode = node["tags"] {
            guard let pairs = tagNode.mapping else { throw fail(place, "tags must be a mapping of key: value") }
            tags = try pairs.map { key, value in
                guard let key = key.string, let value = value.scalar?.string else {
                    throw fail(place, "tags must be a mapping of key: value")
                }
                return KeyTag(key: key, value: value)
            }
            guard tags!.count <= SecretsManager.maxTags else {
                throw fail(place, "a secret has at most \(SecretsManager.maxTags) tags")
            }
        }
        let given = ["value", "binary", "versions"].filter { node[$0] != nil }
        guard given.count == 1 else {
            throw fail(place, "give exactly one of value, binary and versions")
        }
        var versions: [Secret.Version] = []
        if let versionList = node["versions"] {
            guard let entries = versionList.sequence, !entries.isEmpty else {
                throw fail(place, "versions must be a non-empty list")
            }
            guard entries.count <= SecretsManager.maxVersions else {
                throw fail(place, "a secret keeps at most \(SecretsManager.maxVersions) versions")
            }
            for (index, entry) in entries.enumerated() {
                let at = "\(place) versions[\(index)]"
                guard let mapping = entry.mapping else { throw fail(at, "must be a mapping") }
                let fieldsOf = try fields(mapping, ["id", "value", "binary", "stages"], at, fail)
                let id = try scalar(fieldsOf["id"], "id", at, fail)
                if let id, !(32...64).contains(id.utf8.count) {
                    throw fail(at, "id must be 32 to 64 characters, as a ClientRequestToken is")
                }
                let (value, binary) = try secretValue(fieldsOf, at, fail)
                versions.append(
                    Secret.Version(
                        id: id, value: value, binary: binary, stages: try list(fieldsOf["stages"], "stages", at, fail)))
            }
        } else {
            let (value, binary) = try secretValue(node, place, fail)
            versions = [Secret.Version(id: nil, value: value, binary: binary, stages: [SecretsManager.current])]
        }
        let stages = versions.flatMap(\.stages)
        guard stages.filter({ $0 == SecretsManager.current }).count == 1 else {
            throw fail(place, "exactly one version must carry the stage AWSCURRENT")
        }
        if let twice = stages.first(where: { stage in stages.filter { $0 == stage }.count > 1 }) {
            throw fail(place, "the stage \(twice) is on more than one version")
        }
        if let stage = stages.first(where: { !(1...256).contains($0.utf8.count) }) {
            throw fail(place, "stage '\(stage)' must be 1 to 256 characters")
        }
        let ids = versions.compactMap(\.id)
        guard Set(ids).count == ids.count else { throw fail(place, "a version id appears twice") }
        let (region, account) = try scope(node, place, fail)
        return Secret(
            name: name, description: try scalar(node["description"], "description", place, fail),
            kmsKeyId: try scalar(node["kmsKeyId"], "kmsKeyId", place, fail), tags: tags, versions: versions,
            region: region, account: account)
    }

    /// A version's `value` (text) or `binary` (base64), exactly one, within Secrets Manager's sizes.
    private static func secretValue(_ node: [String: Node], _ place: String, _ fail: Fail) throws -> (
        SecureBytes, Bool
    ) {
        let text = try scalar(node["value"], "value", place, fail)
        let encoded = try scalar(node["binary"], "binary", place, fail)
        guard (text == nil) != (encoded == nil) else { throw fail(place, "give exactly one of value and binary") }
        let bytes: SecureBytes
        if let encoded {
            guard let decoded = try? Base64.decodeSecure(Array(encoded.utf8)), decoded.count > 0 else {
                throw fail(place, "binary must be base64 of 1 or more bytes")
            }
            bytes = decoded
        } else {
            bytes = SecureBytes(copying: Array(text!.utf8))
        }
        guard bytes.count <= SecretsManager.maxValueBytes else {
            throw fail(place, "a value is at most \(SecretsManager.maxValueBytes) bytes")
        }
        return (bytes, encoded != nil)
    }

    private static func parseAccessKey(_ mapping: Node.Mapping, _ place: String, _ fail: Fail) throws -> AccessKey {
        let node = try fields(mapping, ["id", "secret", "principal", "account"], place, fail)
        guard let id = try scalar(node["id"], "id", place, fail),
            let secret = try scalar(node["secret"], "secret", place, fail),
            let principal = try scalar(node["principal"], "principal", place, fail)
        else { throw fail(place, "needs id, secret and principal") }
        guard id.count >= 16, id.allSatisfy({ $0.isUppercase || $0.isNumber }) else {
            throw fail(place, "id must be at least 16 upper-case letters or digits, as AWS access key ids are")
        }
        let account = try scalar(node["account"], "account", place, fail)
        if let account, !Scope.isAccountID(account) {
            throw fail(place, "account must be 12 digits, not '\(account)'")
        }
        return AccessKey(
            id: id, secret: SecureBytes(copying: Array(secret.utf8)), principal: principal, account: account)
    }

    private static func checkUnique(_ fixtures: Fixtures, _ fail: Fail) throws {
        var seen = Set<String>()
        for (index, key) in fixtures.keys.enumerated() {
            let scope = "\(key.account ?? "")/\(key.region ?? ""):"
            for name in (key.id.map { [$0.description] } ?? []) + key.aliases where !seen.insert(scope + name).inserted
            {
                throw fail("keys[\(index)]", "'\(name)' appears twice")
            }
        }
        seen = []
        for (index, parameter) in fixtures.parameters.enumerated()
        where !seen.insert("\(parameter.account ?? "")/\(parameter.region ?? ""):" + parameter.name).inserted {
            throw fail("parameters[\(index)] (\(parameter.name))", "the name appears twice")
        }
        seen = []
        for (index, secret) in fixtures.secrets.enumerated()
        where !seen.insert("\(secret.account ?? "")/\(secret.region ?? ""):" + secret.name).inserted {
            throw fail("secrets[\(index)] (\(secret.name))", "the name appears twice")
        }
    }
}

/// The fixtures a daemon was started with, and where they came from: applied at start, and again
/// by an ephemeral daemon's reset.
public struct FixtureSeed: Sendable {
    public var fixtures: Fixtures
    public var origin: String

    /// - Parameters:
    ///   - fixtures: the parsed file.
    ///   - origin: its path, for errors.
    public init(fixtures: Fixtures, origin: String) {
        self.fixtures = fixtures
        self.origin = origin
    }
}
