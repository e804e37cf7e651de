/// The type of a parameter.
public enum ParameterType: String, Codable, Sendable, CaseIterable {
    case string = "String"
    case stringList = "StringList"
    case secureString = "SecureString"
}

/// One version of a parameter, with the metadata it was written with.
public struct ParameterVersionRecord: Sendable {
    public var version: Int
    public var type: ParameterType
    /// For SecureString: the key reference as the writer gave it (default `alias/aws/ssm`).
    public var keyId: String?
    public var description: String?
    public var allowedPattern: String?
    public var tier: String
    public var dataType: String
    public var modified: Double
    public var modifiedBy: String
    public var labels: [String]
    /// For SecureString: the parameter ARN bound as encryption context when the value was sealed.
    public var contextArn: String?
    /// String and StringList: the UTF-8 text. SecureString: an envelope v2 token, never plaintext.
    public var value: [UInt8]

    /// - Parameters: see the properties.
    public init(
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
        contextArn: String?,
        value: [UInt8]
    ) {
        self.version = version
        self.type = type
        self.keyId = keyId
        self.description = description
        self.allowedPattern = allowedPattern
        self.tier = tier
        self.dataType = dataType
        self.modified = modified
        self.modifiedBy = modifiedBy
        self.labels = labels
        self.contextArn = contextArn
        self.value = value
    }
}

/// A parameter with all its kept versions, oldest first.
public struct StoredParameter: Sendable {
    public var name: String
    public var tags: [KeyTag]
    public var versions: [ParameterVersionRecord]

    /// - Parameters:
    ///   - name: the full name.
    ///   - tags: its tags.
    ///   - versions: its versions, oldest first.
    public init(name: String, tags: [KeyTag], versions: [ParameterVersionRecord]) {
        self.name = name
        self.tags = tags
        self.versions = versions
    }
}

/// One atomic change to the parameter store.
public struct ParameterChange: Sendable {
    /// Parameters to insert or update: their tags, and the versions listed in `writtenVersions`.
    public var parameter: StoredParameter?
    /// The version numbers of `parameter` to insert or replace.
    public var writtenVersions: [Int]
    /// Version numbers of `parameter` to remove (dropped beyond the version limit).
    public var removedVersions: [Int]
    /// Whole parameters to remove.
    public var deletedNames: [String]

    /// - Parameters: see the properties.
    public init(
        parameter: StoredParameter?, writtenVersions: [Int], removedVersions: [Int] = [], deletedNames: [String] = []
    ) {
        self.parameter = parameter
        self.writtenVersions = writtenVersions
        self.removedVersions = removedVersions
        self.deletedNames = deletedNames
    }
}

/// Durable storage for SSM parameters. Every call returns only once the change is durable.
public protocol ParameterStore: Sendable {
    /// Every parameter with its versions, in name order, one at a time: start-up builds its map
    /// from them without first holding 100,000 of them in an array.
    /// - Parameters:
    ///   - reserve: called once, before any parameter, with their number.
    ///   - body: called with each parameter.
    func loadParameters(reserve: (Int) -> Void, _ body: (StoredParameter) throws -> Void) throws
    /// Applies one change atomically.
    /// - Parameter change: the change.
    func apply(_ change: ParameterChange) throws
    /// Applies several changes as one transaction: all of them or none.
    /// - Parameter changes: the changes.
    func apply(_ changes: [ParameterChange]) throws
}

extension ParameterStore {
    /// Every parameter with its versions, in name order.
    public func loadParameters() throws -> [StoredParameter] {
        var all: [StoredParameter] = []
        try loadParameters(reserve: { all.reserveCapacity($0) }, { all.append($0) })
        return all
    }
}
