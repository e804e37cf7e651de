import SealboxCrypto

/// A resource policy that shares a parameter with other accounts (PutResourcePolicy): the document
/// as its owner wrote it, and what it grants, read from the document once when it was put.
public struct ParameterResourcePolicy: Hashable, Sendable, Codable {
    public var id: String
    /// Changes with every put, so a writer can tell whether the policy moved since it read it.
    public var hash: String
    /// The document, returned as written.
    public var document: String
    /// The accounts granted, as 12-digit ids.
    public var accounts: [String]
    /// The actions granted, such as `ssm:GetParameter`.
    public var actions: [String]

    /// - Parameters: see the properties.
    public init(id: String, hash: String, document: String, accounts: [String], actions: [String]) {
        self.id = id
        self.hash = hash
        self.document = document
        self.accounts = accounts
        self.actions = actions
    }

    /// The hash of a document: its SHA-256, in hex.
    /// - Parameter document: the policy text.
    public static func hash(of document: String) -> String {
        Hex.encode(Digest.sha256(Array(document.utf8)))
    }

    /// Whether the policy lets `account` perform `action`.
    /// - Parameters:
    ///   - account: the caller's account.
    ///   - action: the action, such as `ssm:GetParameter`.
    public func allows(account: String, action: String) -> Bool {
        accounts.contains(account) && actions.contains(action)
    }
}
