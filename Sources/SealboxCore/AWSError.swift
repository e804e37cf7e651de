/// An error answered on the AWS JSON 1.1 wire: `{"__type": code, "message": message}` with HTTP 400,
/// or 500 for the internal codes botocore retries.
public struct AWSError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: String, Sendable {
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
    }

    private let code: Code
    /// The human-readable message; never holds a secret.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The `__type` and `X-Amzn-ErrorType` value.
    public var type: String { code.rawValue }

    /// The HTTP status to answer with.
    public var httpStatus: Int {
        switch code {
        case .kmsInternal, .internalServer: 500
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
    /// The named key or alias does not exist.
    public static func notFound(_ message: String) -> AWSError { AWSError(.notFound, message) }
    /// The key is disabled.
    public static func disabled(_ message: String) -> AWSError { AWSError(.disabled, message) }
    /// The key's state forbids the operation.
    public static func invalidState(_ message: String) -> AWSError { AWSError(.invalidState, message) }
    /// The ciphertext, its context or its key does not check out. AWS sends an empty message.
    public static let invalidCiphertext = AWSError(.invalidCiphertext, "")
    /// Decrypt named a key other than the ciphertext's.
    public static func incorrectKey(_ message: String) -> AWSError { AWSError(.incorrectKey, message) }
    /// The key cannot be used this way.
    public static func invalidKeyUsage(_ message: String) -> AWSError { AWSError(.invalidKeyUsage, message) }
    /// The resource exists already.
    public static func alreadyExists(_ message: String) -> AWSError { AWSError(.alreadyExists, message) }
    /// The caller may not use a reserved name.
    public static func notAuthorized(_ message: String) -> AWSError { AWSError(.notAuthorized, message) }
    /// A paging marker was not issued by this server.
    public static func invalidMarker(_ message: String) -> AWSError { AWSError(.invalidMarker, message) }
    /// A quota is used up.
    public static func limitExceeded(_ message: String) -> AWSError { AWSError(.limitExceeded, message) }
    /// Sealbox does not implement this variant.
    public static func unsupportedOperation(_ message: String) -> AWSError { AWSError(.unsupportedOperation, message) }
    /// A key policy is not a JSON document.
    public static func malformedPolicyDocument(_ message: String) -> AWSError {
        AWSError(.malformedPolicyDocument, message)
    }
    /// A tag is invalid.
    public static func tag(_ message: String) -> AWSError { AWSError(.tag, message) }
    /// The body exceeds the size limit (HTTP 413).
    public static func requestTooLarge(_ message: String) -> AWSError { AWSError(.requestTooLarge, message) }
    /// 408: the request body did not arrive in time.
    public static func requestTimeout(_ message: String) -> AWSError { AWSError(.requestTimeout, message) }
    /// Too many requests or connections; clients back off and retry.
    public static func throttling(_ message: String) -> AWSError { AWSError(.throttling, message) }
    /// The request would have succeeded, but DryRun was set.
    public static func dryRun(_ message: String) -> AWSError { AWSError(.dryRun, message) }
    /// No parameter has that name.
    public static func parameterNotFound(_ message: String) -> AWSError { AWSError(.parameterNotFound, message) }
    /// The parameter has no such version or label.
    public static func parameterVersionNotFound(_ message: String) -> AWSError {
        AWSError(.parameterVersionNotFound, message)
    }
    /// PutParameter without Overwrite on an existing name.
    public static func parameterAlreadyExists(_ message: String) -> AWSError {
        AWSError(.parameterAlreadyExists, message)
    }
    /// The oldest of 100 versions carries a label and cannot be dropped.
    public static func parameterMaxVersionLimitExceeded(_ message: String) -> AWSError {
        AWSError(.parameterMaxVersionLimitExceeded, message)
    }
    /// A version would carry more than 10 labels.
    public static func parameterVersionLabelLimitExceeded(_ message: String) -> AWSError {
        AWSError(.parameterVersionLabelLimitExceeded, message)
    }
    /// A name has more than 15 levels.
    public static func hierarchyLevelLimitExceeded(_ message: String) -> AWSError {
        AWSError(.hierarchyLevelLimitExceeded, message)
    }
    /// A SecureString's key is unknown, disabled or unusable.
    public static func invalidKeyId(_ message: String) -> AWSError { AWSError(.invalidKeyId, message) }
    /// A NextToken was not issued by this server.
    public static func invalidNextToken(_ message: String) -> AWSError { AWSError(.invalidNextToken, message) }
    /// A filter key is unknown or not allowed here.
    public static func invalidFilterKey(_ message: String) -> AWSError { AWSError(.invalidFilterKey, message) }
    /// A filter option is not valid for its key.
    public static func invalidFilterOption(_ message: String) -> AWSError { AWSError(.invalidFilterOption, message) }
    /// A filter value is not valid for its key.
    public static func invalidFilterValue(_ message: String) -> AWSError { AWSError(.invalidFilterValue, message) }
    /// The tagged resource does not exist.
    public static func invalidResourceId(_ message: String) -> AWSError { AWSError(.invalidResourceId, message) }
    /// Tags are supported on parameters only.
    public static func invalidResourceType(_ message: String) -> AWSError { AWSError(.invalidResourceType, message) }
    /// More than 50 tags.
    public static func tooManyTags(_ message: String) -> AWSError { AWSError(.tooManyTags, message) }
    /// The value does not match the parameter's AllowedPattern.
    public static func parameterPatternMismatch(_ message: String) -> AWSError {
        AWSError(.parameterPatternMismatch, message)
    }
    /// AllowedPattern is not a valid regular expression.
    public static func invalidAllowedPattern(_ message: String) -> AWSError {
        AWSError(.invalidAllowedPattern, message)
    }
    /// An unexpected KMS failure (HTTP 500); the message names no secret.
    public static func kmsInternal(_ message: String) -> AWSError { AWSError(.kmsInternal, message) }
    /// An unexpected failure outside KMS (HTTP 500).
    public static func internalServer(_ message: String) -> AWSError { AWSError(.internalServer, message) }
}
