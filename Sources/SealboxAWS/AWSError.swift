import SealboxCore

/// An error answered on the AWS JSON 1.1 wire: `{"__type": code, "message": message}` with HTTP 400,
/// or 500 for the internal codes botocore retries.
///
/// Only failures of the protocol itself (a bad body, a bad signature, an unknown operation, a
/// paging token, a limit of the connection) are made here. What the domain refuses is thrown as a
/// ``SealboxError`` and answered as ``init(_:)`` maps its code.
public struct AWSError: Error, Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Base: String, Sendable {
        case validation = "ValidationException"
        case serialization = "SerializationException"
        case unknownOperation = "UnknownOperationException"
        case accessDenied = "AccessDeniedException"
        case missingAuthenticationToken = "MissingAuthenticationTokenException"
        case incompleteSignature = "IncompleteSignatureException"
        case invalidSignature = "InvalidSignatureException"
        case unrecognizedClient = "UnrecognizedClientException"
        case notFound = "NotFoundException"
        case disabled = "DisabledException"
        case invalidState = "KMSInvalidStateException"
        case invalidCiphertext = "InvalidCiphertextException"
        case incorrectKey = "IncorrectKeyException"
        case invalidKeyUsage = "InvalidKeyUsageException"
        case invalidMac = "KMSInvalidMacException"
        case invalidKMSSignature = "KMSInvalidSignatureException"
        case invalidImportToken = "InvalidImportTokenException"
        case expiredImportToken = "ExpiredImportTokenException"
        case incorrectKeyMaterial = "IncorrectKeyMaterialException"
        case alreadyExists = "AlreadyExistsException"
        case notAuthorized = "NotAuthorizedException"
        case invalidMarker = "InvalidMarkerException"
        case limitExceeded = "LimitExceededException"
        case unsupportedOperation = "UnsupportedOperationException"
        case malformedPolicyDocument = "MalformedPolicyDocumentException"
        case tag = "TagException"
        case requestTooLarge = "RequestEntityTooLargeException"
        case requestTimeout = "RequestTimeoutException"
        case dryRun = "DryRunOperationException"
        case throttling = "ThrottlingException"
        case parameterNotFound = "ParameterNotFound"
        case parameterVersionNotFound = "ParameterVersionNotFound"
        case parameterAlreadyExists = "ParameterAlreadyExists"
        case parameterMaxVersionLimitExceeded = "ParameterMaxVersionLimitExceeded"
        case parameterVersionLabelLimitExceeded = "ParameterVersionLabelLimitExceeded"
        case hierarchyLevelLimitExceeded = "HierarchyLevelLimitExceededException"
        case invalidKeyId = "InvalidKeyId"
        case invalidNextToken = "InvalidNextToken"
        case invalidFilterKey = "InvalidFilterKey"
        case invalidFilterOption = "InvalidFilterOption"
        case invalidFilterValue = "InvalidFilterValue"
        case invalidResourceId = "InvalidResourceId"
        case invalidResourceType = "InvalidResourceType"
        case tooManyTags = "TooManyTagsError"
        case parameterPatternMismatch = "ParameterPatternMismatchException"
        case invalidAllowedPattern = "InvalidAllowedPatternException"
        case kmsInternal = "KMSInternalException"
        case internalServer = "InternalServerError"
        case serviceUnavailable = "ServiceUnavailableException"
        case invalidGrantToken = "InvalidGrantTokenException"
        case invalidGrantId = "InvalidGrantIdException"
        case invalidArn = "InvalidArnException"
        case serviceSettingNotFound = "ServiceSettingNotFound"
        case invalidPolicyType = "InvalidPolicyTypeException"
        case invalidPolicyAttribute = "InvalidPolicyAttributeException"
        case policiesLimitExceeded = "PoliciesLimitExceededException"
        case resourceNotFound = "ResourceNotFoundException"
        case resourcePolicyConflict = "ResourcePolicyConflictException"
        case resourcePolicyNotFound = "ResourcePolicyNotFoundException"
        case resourcePolicyLimitExceeded = "ResourcePolicyLimitExceededException"
        case resourcePolicyInvalidParameter = "ResourcePolicyInvalidParameterException"
        case malformedResourcePolicyDocument = "MalformedResourcePolicyDocumentException"
        case resourceExists = "ResourceExistsException"
        case invalidRequest = "InvalidRequestException"
        case invalidParameter = "InvalidParameterException"
        case encryptionFailure = "EncryptionFailure"
        case decryptionFailure = "DecryptionFailure"
        case publicPolicy = "PublicPolicyException"
    }

    /// The `__type` of an error. Compare errors by code; new codes can be added without breaking
    /// callers that keep a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// The wire name, as in `__type` and `X-Amzn-ErrorType`.
        public var description: String { base.rawValue }
        /// `ValidationException`.
        public static let validation = Code(.validation)
        /// `SerializationException`.
        public static let serialization = Code(.serialization)
        /// `UnknownOperationException`.
        public static let unknownOperation = Code(.unknownOperation)
        /// `AccessDeniedException`.
        public static let accessDenied = Code(.accessDenied)
        /// `MissingAuthenticationTokenException`.
        public static let missingAuthenticationToken = Code(.missingAuthenticationToken)
        /// `IncompleteSignatureException`.
        public static let incompleteSignature = Code(.incompleteSignature)
        /// `InvalidSignatureException`.
        public static let invalidSignature = Code(.invalidSignature)
        /// `UnrecognizedClientException`.
        public static let unrecognizedClient = Code(.unrecognizedClient)
        /// `NotFoundException`.
        public static let notFound = Code(.notFound)
        /// `DisabledException`.
        public static let disabled = Code(.disabled)
        /// `KMSInvalidStateException`.
        public static let invalidState = Code(.invalidState)
        /// `InvalidCiphertextException`.
        public static let invalidCiphertext = Code(.invalidCiphertext)
        /// `IncorrectKeyException`.
        public static let incorrectKey = Code(.incorrectKey)
        /// `InvalidKeyUsageException`.
        public static let invalidKeyUsage = Code(.invalidKeyUsage)
        /// `KMSInvalidMacException`.
        public static let invalidMac = Code(.invalidMac)
        /// `KMSInvalidSignatureException`: a KMS `Verify` failed (not SigV4's `InvalidSignatureException`).
        public static let invalidKMSSignature = Code(.invalidKMSSignature)
        /// `InvalidImportTokenException`.
        public static let invalidImportToken = Code(.invalidImportToken)
        /// `ExpiredImportTokenException`.
        public static let expiredImportToken = Code(.expiredImportToken)
        /// `IncorrectKeyMaterialException`.
        public static let incorrectKeyMaterial = Code(.incorrectKeyMaterial)
        /// `AlreadyExistsException`.
        public static let alreadyExists = Code(.alreadyExists)
        /// `NotAuthorizedException`.
        public static let notAuthorized = Code(.notAuthorized)
        /// `InvalidMarkerException`.
        public static let invalidMarker = Code(.invalidMarker)
        /// `LimitExceededException`.
        public static let limitExceeded = Code(.limitExceeded)
        /// `UnsupportedOperationException`.
        public static let unsupportedOperation = Code(.unsupportedOperation)
        /// `MalformedPolicyDocumentException`.
        public static let malformedPolicyDocument = Code(.malformedPolicyDocument)
        /// `TagException`.
        public static let tag = Code(.tag)
        /// `RequestEntityTooLargeException`.
        public static let requestTooLarge = Code(.requestTooLarge)
        /// `RequestTimeoutException`.
        public static let requestTimeout = Code(.requestTimeout)
        /// `DryRunOperationException`.
        public static let dryRun = Code(.dryRun)
        /// `ThrottlingException`.
        public static let throttling = Code(.throttling)
        /// `ParameterNotFound`.
        public static let parameterNotFound = Code(.parameterNotFound)
        /// `ParameterVersionNotFound`.
        public static let parameterVersionNotFound = Code(.parameterVersionNotFound)
        /// `ParameterAlreadyExists`.
        public static let parameterAlreadyExists = Code(.parameterAlreadyExists)
        /// `ParameterMaxVersionLimitExceeded`.
        public static let parameterMaxVersionLimitExceeded = Code(.parameterMaxVersionLimitExceeded)
        /// `ParameterVersionLabelLimitExceeded`.
        public static let parameterVersionLabelLimitExceeded = Code(.parameterVersionLabelLimitExceeded)
        /// `HierarchyLevelLimitExceededException`.
        public static let hierarchyLevelLimitExceeded = Code(.hierarchyLevelLimitExceeded)
        /// `InvalidKeyId`.
        public static let invalidKeyId = Code(.invalidKeyId)
        /// `InvalidNextToken`.
        public static let invalidNextToken = Code(.invalidNextToken)
        /// `InvalidFilterKey`.
        public static let invalidFilterKey = Code(.invalidFilterKey)
        /// `InvalidFilterOption`.
        public static let invalidFilterOption = Code(.invalidFilterOption)
        /// `InvalidFilterValue`.
        public static let invalidFilterValue = Code(.invalidFilterValue)
        /// `InvalidResourceId`.
        public static let invalidResourceId = Code(.invalidResourceId)
        /// `InvalidResourceType`.
        public static let invalidResourceType = Code(.invalidResourceType)
        /// `TooManyTagsError`.
        public static let tooManyTags = Code(.tooManyTags)
        /// `ParameterPatternMismatchException`.
        public static let parameterPatternMismatch = Code(.parameterPatternMismatch)
        /// `InvalidAllowedPatternException`.
        public static let invalidAllowedPattern = Code(.invalidAllowedPattern)
        /// `KMSInternalException`.
        public static let kmsInternal = Code(.kmsInternal)
        /// `InternalServerError`.
        public static let internalServer = Code(.internalServer)
        /// `ServiceUnavailableException`.
        public static let serviceUnavailable = Code(.serviceUnavailable)
        /// `InvalidGrantTokenException`.
        public static let invalidGrantToken = Code(.invalidGrantToken)
        /// `InvalidGrantIdException`.
        public static let invalidGrantId = Code(.invalidGrantId)
        /// `InvalidArnException`.
        public static let invalidArn = Code(.invalidArn)
        /// `ServiceSettingNotFound`.
        public static let serviceSettingNotFound = Code(.serviceSettingNotFound)
        /// `InvalidPolicyTypeException`.
        public static let invalidPolicyType = Code(.invalidPolicyType)
        /// `InvalidPolicyAttributeException`.
        public static let invalidPolicyAttribute = Code(.invalidPolicyAttribute)
        /// `PoliciesLimitExceededException`.
        public static let policiesLimitExceeded = Code(.policiesLimitExceeded)
        /// `ResourceNotFoundException`.
        public static let resourceNotFound = Code(.resourceNotFound)
        /// `ResourcePolicyConflictException`.
        public static let resourcePolicyConflict = Code(.resourcePolicyConflict)
        /// `ResourcePolicyNotFoundException`.
        public static let resourcePolicyNotFound = Code(.resourcePolicyNotFound)
        /// `ResourcePolicyLimitExceededException`.
        public static let resourcePolicyLimitExceeded = Code(.resourcePolicyLimitExceeded)
        /// `ResourcePolicyInvalidParameterException`.
        public static let resourcePolicyInvalidParameter = Code(.resourcePolicyInvalidParameter)
        /// `MalformedResourcePolicyDocumentException`.
        public static let malformedResourcePolicyDocument = Code(.malformedResourcePolicyDocument)
        /// `ResourceExistsException`.
        public static let resourceExists = Code(.resourceExists)
        /// `InvalidRequestException`.
        public static let invalidRequest = Code(.invalidRequest)
        /// `InvalidParameterException`.
        public static let invalidParameter = Code(.invalidParameter)
        /// `EncryptionFailure`.
        public static let encryptionFailure = Code(.encryptionFailure)
        /// `DecryptionFailure`.
        public static let decryptionFailure = Code(.decryptionFailure)
        /// `PublicPolicyException`.
        public static let publicPolicy = Code(.publicPolicy)
    }

    /// What went wrong.
    public let code: Code
    /// The human-readable message; never holds a secret.
    public let message: String

    fileprivate init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The `__type` and `X-Amzn-ErrorType` value.
    public var type: String { code.description }

    /// The HTTP status to answer with.
    public var httpStatus: Int {
        switch code {
        case .kmsInternal, .internalServer: 500
        case .serviceUnavailable: 503
        case .requestTooLarge: 413
        case .requestTimeout: 408
        default: 400
        }
    }

    public var description: String { "\(type): \(message)" }

    /// A failed model constraint; see ``Validator`` for AWS's message style.
    public static func validation(_ message: String) -> AWSError { AWSError(.validation, message) }
    /// A body that is not valid JSON for the operation's shape.
    public static func serialization(_ message: String) -> AWSError { AWSError(.serialization, message) }
    /// An `X-Amz-Target` naming no known operation.
    public static func unknownOperation(_ message: String = "") -> AWSError { AWSError(.unknownOperation, message) }
    /// The caller may not do this.
    public static func accessDenied(_ message: String) -> AWSError { AWSError(.accessDenied, message) }
    /// The request carries no credentials.
    public static func missingAuthenticationToken(_ message: String) -> AWSError {
        AWSError(.missingAuthenticationToken, message)
    }
    /// The Authorization header is malformed.
    public static func incompleteSignature(_ message: String) -> AWSError { AWSError(.incompleteSignature, message) }
    /// The signature does not match, or the request is too old.
    public static func invalidSignature(_ message: String) -> AWSError { AWSError(.invalidSignature, message) }
    /// The access key is unknown.
    public static func unrecognizedClient(_ message: String) -> AWSError { AWSError(.unrecognizedClient, message) }
    /// A paging marker was not issued by this server.
    public static func invalidMarker(_ message: String) -> AWSError { AWSError(.invalidMarker, message) }
    /// The body exceeds the size limit (HTTP 413).
    public static func requestTooLarge(_ message: String) -> AWSError { AWSError(.requestTooLarge, message) }
    /// 408: the request body did not arrive in time.
    public static func requestTimeout(_ message: String) -> AWSError { AWSError(.requestTimeout, message) }
    /// Too many requests or connections; clients back off and retry.
    public static func throttling(_ message: String) -> AWSError { AWSError(.throttling, message) }
    /// The request would have succeeded, but DryRun was set.
    public static func dryRun(_ message: String) -> AWSError { AWSError(.dryRun, message) }
    /// A SecureString's key is unknown, disabled or unusable.
    public static func invalidKeyId(_ message: String) -> AWSError { AWSError(.invalidKeyId, message) }
    /// A NextToken was not issued by this server.
    public static func invalidNextToken(_ message: String) -> AWSError { AWSError(.invalidNextToken, message) }
    /// A parameter policy's `Type` is not one Parameter Store has.
    public static func invalidPolicyType(_ message: String) -> AWSError { AWSError(.invalidPolicyType, message) }
    /// A parameter policy's attribute is missing or has a bad value.
    public static func invalidPolicyAttribute(_ message: String) -> AWSError {
        AWSError(.invalidPolicyAttribute, message)
    }
    /// More parameter policies than a parameter takes.
    public static func policiesLimitExceeded(_ message: String) -> AWSError {
        AWSError(.policiesLimitExceeded, message)
    }
    /// A resource policy's parameters do not fit the resource (an unshareable parameter).
    public static func resourcePolicyInvalidParameter(_ message: String) -> AWSError {
        AWSError(.resourcePolicyInvalidParameter, message)
    }
    /// A resource policy that is not a document Sealbox can enforce.
    public static func malformedResourcePolicyDocument(_ message: String) -> AWSError {
        AWSError(.malformedResourcePolicyDocument, message)
    }
    /// A filter key is unknown or not allowed here.
    public static func invalidFilterKey(_ message: String) -> AWSError { AWSError(.invalidFilterKey, message) }
    /// A filter option is not valid for its key.
    public static func invalidFilterOption(_ message: String) -> AWSError { AWSError(.invalidFilterOption, message) }
    /// A filter value is not valid for its key.
    public static func invalidFilterValue(_ message: String) -> AWSError { AWSError(.invalidFilterValue, message) }
    /// The daemon cannot take the request now (HTTP 503), for example when its audit log cannot be written.
    public static func serviceUnavailable(_ message: String) -> AWSError { AWSError(.serviceUnavailable, message) }
    /// An unexpected failure outside KMS (HTTP 500).
    public static func internalServer(_ message: String) -> AWSError { AWSError(.internalServer, message) }
}

extension AWSError {
    /// The wire answer for a domain failure: the `__type` AWS sends for it, with the domain's message.
    /// - Parameter error: what the domain threw.
    public init(_ error: SealboxError) {
        let code: Code =
            switch error.code {
            case .validation: .validation
            case .accessDenied: .accessDenied
            case .notFound: .notFound
            case .disabled: .disabled
            case .invalidState: .invalidState
            case .invalidCiphertext: .invalidCiphertext
            case .incorrectKey: .incorrectKey
            case .invalidKeyUsage: .invalidKeyUsage
            case .invalidMac: .invalidMac
            case .invalidSignature: .invalidKMSSignature
            case .invalidImportToken: .invalidImportToken
            case .expiredImportToken: .expiredImportToken
            case .incorrectKeyMaterial: .incorrectKeyMaterial
            case .alreadyExists: .alreadyExists
            case .notAuthorized: .notAuthorized
            case .unsupportedOperation: .unsupportedOperation
            case .malformedPolicyDocument: .malformedPolicyDocument
            case .invalidTag: .tag
            case .parameterNotFound: .parameterNotFound
            case .parameterVersionNotFound: .parameterVersionNotFound
            case .parameterAlreadyExists: .parameterAlreadyExists
            case .parameterMaxVersionLimitExceeded: .parameterMaxVersionLimitExceeded
            case .parameterVersionLabelLimitExceeded: .parameterVersionLabelLimitExceeded
            case .hierarchyLevelLimitExceeded: .hierarchyLevelLimitExceeded
            case .invalidKeyId, .keyUnavailable: .invalidKeyId
            case .invalidResourceId: .invalidResourceId
            case .invalidResourceType: .invalidResourceType
            case .tooManyTags: .tooManyTags
            case .parameterPatternMismatch: .parameterPatternMismatch
            case .invalidAllowedPattern: .invalidAllowedPattern
            case .keyServiceFailure: .kmsInternal
            case .limitExceeded, .tooManyLeases: .limitExceeded
            case .invalidGrantToken: .invalidGrantToken
            case .invalidGrantId: .invalidGrantId
            case .invalidArn: .invalidArn
            case .serviceSettingNotFound: .serviceSettingNotFound
            case .resourceNotFound: .resourceNotFound
            case .resourcePolicyConflict: .resourcePolicyConflict
            case .resourcePolicyNotFound: .resourcePolicyNotFound
            case .resourcePolicyLimitExceeded: .resourcePolicyLimitExceeded
            case .secretExists: .resourceExists
            case .invalidRequest: .invalidRequest
            case .invalidParameter: .invalidParameter
            case .encryptionFailure: .encryptionFailure
            case .decryptionFailure: .decryptionFailure
            case .publicPolicy: .publicPolicy
            case .storeUnavailable, .storeConflict: .serviceUnavailable
            default: .internalServer
            }
        self.init(code, error.message)
    }

    /// The wire answer for anything an operation threw: an ``AWSError`` as it is, a domain error
    /// mapped, and anything else an internal error that names no detail.
    /// - Parameter error: what was thrown.
    public init(any error: any Error) {
        switch error {
        case let error as AWSError: self = error
        case let error as SealboxError: self.init(error)
        default: self.init(.internalServer, "An internal error occurred")
        }
    }
}
