/// A failure of a domain operation: a code callers compare, and a message for people.
///
/// The domain knows no wire protocol: a code says what went wrong, and each protocol module maps it
/// to its own answer (an AWS `__type` and status, a native status). Compare errors by ``code``,
/// never by message.
public struct SealboxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. New codes can be added without breaking callers: match the ones you handle
    /// and keep a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case validation, accessDenied, notFound, disabled, invalidState, invalidCiphertext, incorrectKey
            case invalidKeyUsage, alreadyExists, notAuthorized, limitExceeded, unsupportedOperation
            case malformedPolicyDocument, invalidTag, parameterNotFound, parameterVersionNotFound
            case parameterAlreadyExists, parameterMaxVersionLimitExceeded, parameterVersionLabelLimitExceeded
            case hierarchyLevelLimitExceeded, invalidKeyId, invalidResourceId, invalidResourceType, tooManyTags
            case parameterPatternMismatch, invalidAllowedPattern, keyServiceFailure, internalFailure
            case leaseNotFound, leaseExpired, leaseUsedUp, tooManyLeases, keyUnavailable, invalidMac
            case invalidGrantToken, invalidGrantId, invalidArn, serviceSettingNotFound
            case invalidSignature, invalidImportToken, expiredImportToken, incorrectKeyMaterial
            case resourceNotFound, resourcePolicyConflict, resourcePolicyNotFound, resourcePolicyLimitExceeded
            case secretExists, invalidRequest, invalidParameter, encryptionFailure, decryptionFailure
            case publicPolicy, storeUnavailable, storeConflict
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// A value breaks a constraint of the operation.
        public static let validation = Code(.validation)
        /// The policy does not grant the caller this action on this resource.
        public static let accessDenied = Code(.accessDenied)
        /// The named key or alias does not exist.
        public static let notFound = Code(.notFound)
        /// The key is disabled.
        public static let disabled = Code(.disabled)
        /// The key's state forbids the operation.
        public static let invalidState = Code(.invalidState)
        /// The ciphertext, its context or its key does not check out.
        public static let invalidCiphertext = Code(.invalidCiphertext)
        /// Decrypt named a key other than the ciphertext's.
        public static let incorrectKey = Code(.incorrectKey)
        /// The key cannot be used this way.
        public static let invalidKeyUsage = Code(.invalidKeyUsage)
        /// The resource exists already.
        public static let alreadyExists = Code(.alreadyExists)
        /// The caller may not use a reserved name.
        public static let notAuthorized = Code(.notAuthorized)
        /// A quota is used up.
        public static let limitExceeded = Code(.limitExceeded)
        /// Sealbox does not implement this variant.
        public static let unsupportedOperation = Code(.unsupportedOperation)
        /// A key policy is not a JSON document.
        public static let malformedPolicyDocument = Code(.malformedPolicyDocument)
        /// A tag is invalid.
        public static let invalidTag = Code(.invalidTag)
        /// No parameter has that name.
        public static let parameterNotFound = Code(.parameterNotFound)
        /// The parameter has no such version or label.
        public static let parameterVersionNotFound = Code(.parameterVersionNotFound)
        /// A create without overwrite named an existing parameter.
        public static let parameterAlreadyExists = Code(.parameterAlreadyExists)
        /// The oldest of the kept versions carries a label and cannot be dropped.
        public static let parameterMaxVersionLimitExceeded = Code(.parameterMaxVersionLimitExceeded)
        /// A version would carry too many labels.
        public static let parameterVersionLabelLimitExceeded = Code(.parameterVersionLabelLimitExceeded)
        /// A name has too many levels.
        public static let hierarchyLevelLimitExceeded = Code(.hierarchyLevelLimitExceeded)
        /// A SecureString's key is unknown, disabled or unusable.
        public static let invalidKeyId = Code(.invalidKeyId)
        /// The tagged resource does not exist.
        public static let invalidResourceId = Code(.invalidResourceId)
        /// The resource type cannot carry tags.
        public static let invalidResourceType = Code(.invalidResourceType)
        /// Too many tags.
        public static let tooManyTags = Code(.tooManyTags)
        /// The value does not match the parameter's allowed pattern.
        public static let parameterPatternMismatch = Code(.parameterPatternMismatch)
        /// An allowed pattern is not a valid regular expression.
        public static let invalidAllowedPattern = Code(.invalidAllowedPattern)
        /// The key service failed (its store could not be written); nothing was changed.
        public static let keyServiceFailure = Code(.keyServiceFailure)
        /// Any other unexpected failure; nothing was changed.
        public static let internalFailure = Code(.internalFailure)
        /// No lease with that id belongs to the caller.
        public static let leaseNotFound = Code(.leaseNotFound)
        /// The lease's time is up.
        public static let leaseExpired = Code(.leaseExpired)
        /// The lease has no redeems left.
        public static let leaseUsedUp = Code(.leaseUsedUp)
        /// The lease table is full.
        public static let tooManyLeases = Code(.tooManyLeases)
        /// The parameter's key cannot decrypt it.
        public static let keyUnavailable = Code(.keyUnavailable)
        /// A MAC does not verify for the message, key and algorithm.
        public static let invalidMac = Code(.invalidMac)
        /// A grant token is not one the daemon issued.
        public static let invalidGrantToken = Code(.invalidGrantToken)
        /// A grant id is malformed, or names another grant than the request's token.
        public static let invalidGrantId = Code(.invalidGrantId)
        /// A principal is not an ARN a grant may name.
        public static let invalidArn = Code(.invalidArn)
        /// No such SSM service setting.
        public static let serviceSettingNotFound = Code(.serviceSettingNotFound)
        /// A signature does not verify for the message, key and algorithm.
        public static let invalidSignature = Code(.invalidSignature)
        /// An import token that this daemon did not make for this key.
        public static let invalidImportToken = Code(.invalidImportToken)
        /// An import token past its 24 hours.
        public static let expiredImportToken = Code(.expiredImportToken)
        /// Imported material of the wrong kind, or not the material imported before.
        public static let incorrectKeyMaterial = Code(.incorrectKeyMaterial)
        /// The resource a resource policy is for does not exist.
        public static let resourceNotFound = Code(.resourceNotFound)
        /// A resource policy changed since the caller read its hash.
        public static let resourcePolicyConflict = Code(.resourcePolicyConflict)
        /// No resource policy with that id.
        public static let resourcePolicyNotFound = Code(.resourcePolicyNotFound)
        /// Too many resource policies, or one too large.
        public static let resourcePolicyLimitExceeded = Code(.resourcePolicyLimitExceeded)
        /// A secret with that name, or a version with that id and another value, exists.
        public static let secretExists = Code(.secretExists)
        /// The request cannot apply to the resource in its state (a secret pending deletion).
        public static let invalidRequest = Code(.invalidRequest)
        /// A parameter's value is not one the operation takes.
        public static let invalidParameter = Code(.invalidParameter)
        /// A secret's value could not be sealed under its key.
        public static let encryptionFailure = Code(.encryptionFailure)
        /// A secret's value could not be opened under its key.
        public static let decryptionFailure = Code(.decryptionFailure)
        /// A resource policy would grant public access where `BlockPublicPolicy` forbids it.
        public static let publicPolicy = Code(.publicPolicy)
        /// The shared store cannot be reached: nothing was written, or a read is too stale to serve.
        public static let storeUnavailable = Code(.storeUnavailable)
        /// Another daemon changed what this write read; the writer catches up and runs it again.
        public static let storeConflict = Code(.storeConflict)
    }

    /// What went wrong.
    public let code: Code
    /// The human-readable message; never holds a secret.
    public let message: String

    /// - Parameters:
    ///   - code: what went wrong.
    ///   - message: for people; never a secret.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    package static func validation(_ message: String) -> Self { Self(.validation, message) }
    package static func accessDenied(_ message: String) -> Self { Self(.accessDenied, message) }
    package static func notFound(_ message: String) -> Self { Self(.notFound, message) }
    package static func disabled(_ message: String) -> Self { Self(.disabled, message) }
    package static func invalidState(_ message: String) -> Self { Self(.invalidState, message) }
    /// AWS sends an empty message for a ciphertext that does not check out.
    package static let invalidCiphertext = Self(.invalidCiphertext, "")
    package static func incorrectKey(_ message: String) -> Self { Self(.incorrectKey, message) }
    package static func invalidKeyUsage(_ message: String) -> Self { Self(.invalidKeyUsage, message) }
    /// AWS sends an empty message for a MAC that does not verify.
    package static let invalidMac = Self(.invalidMac, "")
    package static let invalidSignature = Self(.invalidSignature, "")
    package static func invalidImportToken(_ message: String) -> Self { Self(.invalidImportToken, message) }
    package static func expiredImportToken(_ message: String) -> Self { Self(.expiredImportToken, message) }
    package static func incorrectKeyMaterial(_ message: String) -> Self { Self(.incorrectKeyMaterial, message) }
    package static func alreadyExists(_ message: String) -> Self { Self(.alreadyExists, message) }
    package static func notAuthorized(_ message: String) -> Self { Self(.notAuthorized, message) }
    package static func limitExceeded(_ message: String) -> Self { Self(.limitExceeded, message) }
    package static func unsupportedOperation(_ message: String) -> Self { Self(.unsupportedOperation, message) }
    package static func malformedPolicyDocument(_ message: String) -> Self { Self(.malformedPolicyDocument, message) }
    package static func tag(_ message: String) -> Self { Self(.invalidTag, message) }
    package static func parameterNotFound(_ message: String) -> Self { Self(.parameterNotFound, message) }
    package static func parameterVersionNotFound(_ message: String) -> Self { Self(.parameterVersionNotFound, message) }
    package static func parameterAlreadyExists(_ message: String) -> Self { Self(.parameterAlreadyExists, message) }
    package static func parameterMaxVersionLimitExceeded(_ message: String) -> Self {
        Self(.parameterMaxVersionLimitExceeded, message)
    }
    package static func parameterVersionLabelLimitExceeded(_ message: String) -> Self {
        Self(.parameterVersionLabelLimitExceeded, message)
    }
    package static func hierarchyLevelLimitExceeded(_ message: String) -> Self {
        Self(.hierarchyLevelLimitExceeded, message)
    }
    package static func invalidKeyId(_ message: String) -> Self { Self(.invalidKeyId, message) }
    package static func invalidResourceId(_ message: String) -> Self { Self(.invalidResourceId, message) }
    package static func invalidResourceType(_ message: String) -> Self { Self(.invalidResourceType, message) }
    package static func tooManyTags(_ message: String) -> Self { Self(.tooManyTags, message) }
    package static func parameterPatternMismatch(_ message: String) -> Self { Self(.parameterPatternMismatch, message) }
    package static func invalidAllowedPattern(_ message: String) -> Self { Self(.invalidAllowedPattern, message) }
    package static func keyServiceFailure(_ message: String) -> Self { Self(.keyServiceFailure, message) }
    package static func internalFailure(_ message: String) -> Self { Self(.internalFailure, message) }
    package static func invalidGrantToken(_ message: String) -> Self { Self(.invalidGrantToken, message) }
    package static func invalidGrantId(_ message: String) -> Self { Self(.invalidGrantId, message) }
    package static func invalidArn(_ message: String) -> Self { Self(.invalidArn, message) }
    package static func serviceSettingNotFound(_ message: String) -> Self { Self(.serviceSettingNotFound, message) }
    package static func resourceNotFound(_ message: String) -> Self { Self(.resourceNotFound, message) }
    package static func resourcePolicyConflict(_ message: String) -> Self { Self(.resourcePolicyConflict, message) }
    package static func resourcePolicyNotFound(_ message: String) -> Self { Self(.resourcePolicyNotFound, message) }
    package static func resourcePolicyLimitExceeded(_ message: String) -> Self {
        Self(.resourcePolicyLimitExceeded, message)
    }
    package static func secretExists(_ message: String) -> Self { Self(.secretExists, message) }
    package static func invalidRequest(_ message: String) -> Self { Self(.invalidRequest, message) }
    package static func invalidParameter(_ message: String) -> Self { Self(.invalidParameter, message) }
    package static func encryptionFailure(_ message: String) -> Self { Self(.encryptionFailure, message) }
    package static func decryptionFailure(_ message: String) -> Self { Self(.decryptionFailure, message) }
    package static func publicPolicy(_ message: String) -> Self { Self(.publicPolicy, message) }
    package static func storeUnavailable(_ message: String) -> Self { Self(.storeUnavailable, message) }

    /// Whether this is the shared store's outage or conflict, which an operation passes on unwrapped:
    /// a conflict must reach the writer that retries it, an outage its 503.
    package var isStoreFailure: Bool { code == .storeConflict || code == .storeUnavailable }

    /// The error a failed store call becomes: the store's own outage or conflict keeps its code, so
    /// that it is answered 503 or retried; any other failure becomes `otherwise`.
    /// - Parameters:
    ///   - error: what the store threw.
    ///   - otherwise: the operation's own failure.
    package static func store(_ error: any Error, otherwise: SealboxError) -> SealboxError {
        guard let error = error as? StoreError else { return otherwise }
        return error.isConflict
            ? Self(.storeConflict, "The store changed under this write") : Self(.storeUnavailable, error.description)
    }
}
