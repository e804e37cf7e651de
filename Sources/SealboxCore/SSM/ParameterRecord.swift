import Foundation
import SealboxCrypto

/// The type of a parameter.
public enum ParameterType: String, Codable, Sendable, CaseIterable {
    case string = "String"
    case stringList = "StringList"
    case secureString = "SecureString"
}

/// What a version was written with besides its value: almost always the same few values across
/// thousands of parameters, so versions share one copy (see ``ParameterMetadataPool``).
public struct ParameterMetadata: Hashable, Sendable {
    /// For SecureString: the key reference as the writer gave it (default `alias/aws/ssm`).
    public var keyId: String?
    public var description: String?
    public var allowedPattern: String?
    public var tier: String
    public var dataType: String
    public var modifiedBy: String
    public var labels: [String]
    /// Parameter policies (Advanced tier only); almost always none.
    public var policies: [ParameterPolicy]
    /// For SecureString: the parameter ARN its value was sealed with, without the name it ends in.
    var sealedArn: SealedArn = .none

    /// - Parameters: see the properties.
    public init(
        keyId: String?, description: String?, allowedPattern: String?, tier: String, dataType: String,
        modifiedBy: String, labels: [String], policies: [ParameterPolicy] = []
    ) {
        self.keyId = keyId
        self.description = description
        self.allowedPattern = allowedPattern
        self.tier = tier
        self.dataType = dataType
        self.modifiedBy = modifiedBy
        self.labels = labels
        self.policies = policies
    }
}

/// The parameter ARN a SecureString value is bound to as encryption context:
/// `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`. Only the region and
/// the account are stored; the name is always the version's own parameter's, so a value copied onto
/// another parameter is opened under that parameter's ARN, and does not open. A version keeps the
/// part before the name, which all versions sealed in one region and account share: with 50,000
/// SecureStrings that is 5 MB less.
enum SealedArn: Hashable, Sendable {
    /// Not a SecureString; or one whose stored binding is missing or malformed, which never opens.
    case none
    /// The ARN is this prefix, `arn:aws:ssm:<region>:<account>:parameter/`, followed by the name
    /// without its leading slash.
    case beforeName(String)

    private static let head = Array("arn:aws:ssm:".utf8)
    private static let resource = Array(":parameter/".utf8)

    /// The binding of a value sealed under `arn`: none unless `arn` is exactly the ARN of the
    /// parameter named `name` in some region and account.
    /// - Parameters:
    ///   - arn: the whole ARN, if any.
    ///   - name: the name of the parameter it belongs to.
    init(_ arn: String?, name: String) {
        guard var arn else {
            self = .none
            return
        }
        var tail = ParameterName.bare(name)
        self = arn.withUTF8 { arn in
            tail.withUTF8 { tail in
                let arn = UnsafeRawBufferPointer(arn)
                // `arn:aws:ssm:` region `:` account `:parameter/` name: region and account hold no
                // colon, so the first two colons after the head end them.
                guard arn.count > Self.head.count, Self.head.withUnsafeBytes({ arn.starts(with: $0) }),
                    let regionEnd = arn[Self.head.count...].firstIndex(of: UInt8(ascii: ":")),
                    let accountEnd = arn[(regionEnd + 1)...].firstIndex(of: UInt8(ascii: ":"))
                else { return .none }
                let region = UnsafeRawBufferPointer(rebasing: arn[Self.head.count..<regionEnd])
                let account = UnsafeRawBufferPointer(rebasing: arn[(regionEnd + 1)..<accountEnd])
                let prefixCount = accountEnd + Self.resource.count
                guard arn.count == prefixCount + tail.count,
                    Self.resource.withUnsafeBytes({ Self.equal($0, arn[accountEnd..<prefixCount]) }),
                    Self.equal(UnsafeRawBufferPointer(tail), arn[prefixCount...])
                else { return .none }
                return SealedArn(region: region, account: account)
            }
        }
    }

    /// The binding stored as a region and an account; none when either is missing or malformed.
    /// - Parameters:
    ///   - region: the region's UTF-8 bytes, if stored.
    ///   - account: the account's UTF-8 bytes, if stored.
    ///   - knownPrefix: a prefix already kept, used instead of a new copy when it is this binding's.
    init(region: UnsafeRawBufferPointer?, account: UnsafeRawBufferPointer?, knownPrefix: String? = nil) {
        guard let region, let account, Self.isScopePart(region), Self.isScopePart(account) else {
            self = .none
            return
        }
        let count = Self.head.count + region.count + 1 + account.count + Self.resource.count
        if var knownPrefix {
            let same = knownPrefix.withUTF8 { known in
                let known = UnsafeRawBufferPointer(known)
                var at = Self.head.count
                guard known.count == count,
                    Self.equal(region, known[at..<(at + region.count)]),
                    known[at + region.count] == UInt8(ascii: ":")
                else { return false }
                at += region.count + 1
                return Self.equal(account, known[at..<(at + account.count)])
            }
            if same {
                self = .beforeName(knownPrefix)
                return
            }
        }
        self = .beforeName(
            String(decoding: Self.head, as: UTF8.self) + String(decoding: region, as: UTF8.self) + ":"
                + String(decoding: account, as: UTF8.self) + String(decoding: Self.resource, as: UTF8.self))
    }

    /// What is stored of the binding; nil for none.
    var scope: (region: String, account: String)? {
        guard case .beforeName(let prefix) = self else { return nil }
        let parts = prefix.utf8.dropFirst(Self.head.count).split(
            separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
        return (String(Substring(parts[0])), String(Substring(parts[1])))
    }

    /// A region or account: no colon or slash, so that an ARN splits one way only.
    private static func isScopePart(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count <= 64 && !bytes.contains { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }
    }

    private static func equal(_ bytes: UnsafeRawBufferPointer, _ other: Slice<UnsafeRawBufferPointer>) -> Bool {
        bytes.sameBytes(as: UnsafeRawBufferPointer(rebasing: other))
    }

    /// The whole ARN for the parameter named `name`.
    /// - Parameters:
    ///   - name: the parameter's name.
    ///   - candidate: an ARN that ends in `name` (the one a read answers with), returned as it is
    ///     when it is this ARN, so that a read builds the string once.
    func arn(name: String, candidate: String? = nil) -> String? {
        switch self {
        case .none: return nil
        case .beforeName(var prefix):
            var tail = ParameterName.bare(name)
            // As bytes, copied and compared with memcpy and memcmp: this runs on every SecureString
            // read, and String's generic append and starts(with:) went through it byte by byte.
            return prefix.withUTF8 { head in
                tail.withUTF8 { tail in
                    let count = head.count + tail.count
                    if var candidate {
                        let same = candidate.withUTF8 {
                            $0.count == count
                                && Self.equal(UnsafeRawBufferPointer(head), UnsafeRawBufferPointer($0)[..<head.count])
                        }
                        if same { return candidate }
                    }
                    return String(unsafeUninitializedCapacity: count) { out in
                        _ = out.initialize(fromContentsOf: head)
                        _ = UnsafeMutableBufferPointer(rebasing: out[head.count...]).initialize(fromContentsOf: tail)
                        return count
                    }
                }
            }
        }
    }
}

/// An immutable ``ParameterMetadata`` that many versions can point to.
final class SharedParameterMetadata: Sendable {
    let metadata: ParameterMetadata

    init(_ metadata: ParameterMetadata) { self.metadata = metadata }
}

/// Gives equal metadata one shared copy while many versions are built, as at start-up.
public struct ParameterMetadataPool {
    private var shared: [ParameterMetadata: SharedParameterMetadata] = [:]
    // Versions read in name order mostly repeat one of the last few: comparing a few short strings
    // is cheaper than hashing them.
    private var recent: [SharedParameterMetadata] = []
    private var next = 0
    /// The ARN prefix of the last SecureString built, which the next one most likely shares.
    fileprivate var arnPrefix: String? = nil

    public init() {}

    mutating func share(_ metadata: ParameterMetadata) -> SharedParameterMetadata {
        for candidate in recent where candidate.metadata == metadata { return candidate }
        let found = shared[metadata] ?? SharedParameterMetadata(metadata)
        // Unique descriptions would otherwise make the pool as large as the store.
        if shared.count < 4096 { shared[metadata] = found }
        if recent.count < 4 {
            recent.append(found)
        } else {
            recent[next] = found
            next = (next + 1) % recent.count
        }
        return found
    }
}

/// One version of a parameter, with the metadata it was written with.
public struct ParameterVersionRecord: Sendable {
    public var version: Int
    public var type: ParameterType
    public var modified: Double
    /// String and StringList: the UTF-8 text. SecureString: an envelope v2 token, never plaintext.
    public var value: [UInt8]
    private var shared: SharedParameterMetadata

    /// The metadata; setting it gives this version its own copy.
    public private(set) var metadata: ParameterMetadata {
        get { shared.metadata }
        set { shared = SharedParameterMetadata(newValue) }
    }
    /// For SecureString: the parameter ARN bound as encryption context when the value was sealed;
    /// nil when its stored binding is missing or malformed (then the value must not be opened).
    /// - Parameters:
    ///   - name: the name of the parameter this version belongs to.
    ///   - candidate: an ARN ending in `name`, returned itself when it is the one.
    public func contextArn(name: String, candidate: String? = nil) -> String? {
        shared.metadata.sealedArn.arn(name: name, candidate: candidate)
    }
    /// For SecureString: the region and account the value was sealed in, as stored.
    public var sealedIn: (region: String, account: String)? { shared.metadata.sealedArn.scope }
    /// For SecureString: the scope whose KMS key sealed the value.
    public var sealedScope: Scope? { sealedIn.map { Scope(account: $0.account, region: $0.region) } }
    public var keyId: String? {
        get { shared.metadata.keyId }
        set { metadata.keyId = newValue }
    }
    public var description: String? {
        get { shared.metadata.description }
        set { metadata.description = newValue }
    }
    public var allowedPattern: String? {
        get { shared.metadata.allowedPattern }
        set { metadata.allowedPattern = newValue }
    }
    public var tier: String {
        get { shared.metadata.tier }
        set { metadata.tier = newValue }
    }
    public var dataType: String {
        get { shared.metadata.dataType }
        set { metadata.dataType = newValue }
    }
    public var modifiedBy: String {
        get { shared.metadata.modifiedBy }
        set { metadata.modifiedBy = newValue }
    }
    public var labels: [String] {
        get { shared.metadata.labels }
        set { metadata.labels = newValue }
    }
    public var policies: [ParameterPolicy] {
        get { shared.metadata.policies }
        set { metadata.policies = newValue }
    }

    /// - Parameters:
    ///   - name: the name of the parameter this version belongs to.
    ///   - contextArn: for SecureString, the parameter ARN its value was sealed with; one that is not
    ///     this parameter's own ARN binds nothing, and the value never opens.
    ///   - version, type, keyId, description, allowedPattern, tier, dataType, modified, modifiedBy,
    ///     labels, policies, value: see the properties.
    public init(
        name: String,
        version: Int,
        type: ParameterType,
        keyId: String?,
        description: String?,
        allowedPattern: String?,
        tier: String,
        dataType: String,
        modified: Double,
        modifiedBy: String,
        labels: [String],
        policies: [ParameterPolicy] = [],
        contextArn: String?,
        value: [UInt8]
    ) {
        var metadata = ParameterMetadata(
            keyId: keyId, description: description, allowedPattern: allowedPattern, tier: tier, dataType: dataType,
            modifiedBy: modifiedBy, labels: labels, policies: policies)
        metadata.sealedArn = SealedArn(contextArn, name: name)
        self.init(
            version: version, type: type, metadata: SharedParameterMetadata(metadata), modified: modified, value: value)
    }

    /// A version whose metadata is shared with every equal one built through `pool`.
    /// - Parameters:
    ///   - name: the name of the parameter this version belongs to.
    ///   - metadata: the metadata, stored once per distinct value in `pool`.
    ///   - sealedIn: for SecureString, the UTF-8 bytes of the region and account its value was sealed
    ///     in; the ARN bound as encryption context is built from them and `name`.
    ///   - pool: where equal metadata is kept once.
    ///   - version, type, modified, value: see the properties.
    public init(
        name: String,
        version: Int,
        type: ParameterType,
        metadata: ParameterMetadata,
        modified: Double,
        sealedIn: (region: UnsafeRawBufferPointer, account: UnsafeRawBufferPointer)?,
        value: [UInt8],
        pool: inout ParameterMetadataPool
    ) {
        var metadata = metadata
        metadata.sealedArn = SealedArn(
            region: sealedIn?.region, account: sealedIn?.account, knownPrefix: pool.arnPrefix)
        if case .beforeName(let prefix) = metadata.sealedArn { pool.arnPrefix = prefix }
        self.init(version: version, type: type, metadata: pool.share(metadata), modified: modified, value: value)
    }

    private init(
        version: Int, type: ParameterType, metadata: SharedParameterMetadata, modified: Double, value: [UInt8]
    ) {
        self.version = version
        self.type = type
        self.modified = modified
        self.value = value
        self.shared = metadata
    }

    /// Whether this version and `other` point to one shared copy of their metadata.
    package func sharesMetadata(with other: ParameterVersionRecord) -> Bool { shared === other.shared }
}

/// A parameter with all its kept versions, oldest first.
public struct StoredParameter: Sendable {
    public var name: String
    /// The account and region it belongs to; a public parameter's account is empty.
    public var scope: Scope
    public var tags: [KeyTag]
    public var versions: ParameterVersions
    /// The policies that share it with other accounts; almost always none.
    public var resourcePolicies: [ParameterResourcePolicy]

    /// - Parameters:
    ///   - name: the full name.
    ///   - scope: its account and region.
    ///   - tags: its tags.
    ///   - versions: its versions, oldest first.
    ///   - resourcePolicies: the policies that share it.
    public init(
        name: String, scope: Scope, tags: [KeyTag], versions: [ParameterVersionRecord],
        resourcePolicies: [ParameterResourcePolicy] = []
    ) {
        self.init(
            name: name, scope: scope, tags: tags, versions: ParameterVersions(versions),
            resourcePolicies: resourcePolicies)
    }

    /// - Parameters:
    ///   - name: the full name.
    ///   - scope: its account and region.
    ///   - tags: its tags.
    ///   - versions: its versions, oldest first.
    ///   - resourcePolicies: the policies that share it.
    public init(
        name: String, scope: Scope, tags: [KeyTag], versions: ParameterVersions,
        resourcePolicies: [ParameterResourcePolicy] = []
    ) {
        self.name = name
        self.scope = scope
        self.tags = tags
        self.versions = versions
        self.resourcePolicies = resourcePolicies
    }

    /// Its name in its account and region.
    public var address: ParameterAddress { ParameterAddress(name, in: scope) }
}

/// One atomic change to the parameter store.
public struct ParameterChange: Sendable {
    /// Parameters to insert or update: their tags and resource policies, and the versions listed in
    /// `writtenVersions`.
    public var parameter: StoredParameter?
    /// The version numbers of `parameter` to insert or replace.
    public var writtenVersions: [Int]
    /// Version numbers of `parameter` to remove (dropped beyond the version limit).
    public var removedVersions: [Int]
    /// Whole parameters to remove.
    public var deleted: [ParameterAddress]

    /// - Parameters: see the properties.
    public init(
        parameter: StoredParameter?, writtenVersions: [Int], removedVersions: [Int] = [],
        deleted: [ParameterAddress] = []
    ) {
        self.parameter = parameter
        self.writtenVersions = writtenVersions
        self.removedVersions = removedVersions
        self.deleted = deleted
    }
}
