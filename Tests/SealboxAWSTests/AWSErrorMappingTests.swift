import SealboxAWS
import SealboxCore
import Testing

/// Each domain failure is answered with the `__type` and status AWS sends for it.
@Suite struct AWSErrorMappingTests {
    @Test(arguments: [
        (SealboxError.Code.validation, "ValidationException", 400),
        (.accessDenied, "AccessDeniedException", 400),
        (.notFound, "NotFoundException", 400),
        (.disabled, "DisabledException", 400),
        (.invalidState, "KMSInvalidStateException", 400),
        (.invalidCiphertext, "InvalidCiphertextException", 400),
        (.incorrectKey, "IncorrectKeyException", 400),
        (.invalidKeyUsage, "InvalidKeyUsageException", 400),
        (.invalidMac, "KMSInvalidMacException", 400),
        (.alreadyExists, "AlreadyExistsException", 400),
        (.limitExceeded, "LimitExceededException", 400),
        (.unsupportedOperation, "UnsupportedOperationException", 400),
        (.invalidTag, "TagException", 400),
        (.parameterNotFound, "ParameterNotFound", 400),
        (.parameterVersionNotFound, "ParameterVersionNotFound", 400),
        (.parameterAlreadyExists, "ParameterAlreadyExists", 400),
        (.hierarchyLevelLimitExceeded, "HierarchyLevelLimitExceededException", 400),
        (.invalidKeyId, "InvalidKeyId", 400),
        (.tooManyTags, "TooManyTagsError", 400),
        (.parameterPatternMismatch, "ParameterPatternMismatchException", 400),
        (.keyServiceFailure, "KMSInternalException", 500),
        (.internalFailure, "InternalServerError", 500),
    ])
    func aDomainCodeHasItsWireType(code: SealboxError.Code, type: String, status: Int) {
        let error = AWSError(SealboxError(code, "the message"))
        #expect(error.type == type)
        #expect(error.httpStatus == status)
        #expect(error.message == "the message")
    }

    @Test func anyErrorIsAnsweredWithoutItsDetail() {
        struct Unexpected: Error { var detail = "a path or a secret" }
        let error = AWSError(any: Unexpected())
        #expect(error.code == .internalServer)
        #expect(!error.message.contains("secret"))
        #expect(AWSError(any: AWSError.serialization("x")).code == .serialization)
        #expect(AWSError(any: SealboxError(.notFound, "gone")).code == .notFound)
    }

    @Test func codesCompareByIdentityNotMessage() {
        #expect(AWSError.validation("a").code == AWSError.validation("b").code)
        #expect(AWSError.validation("a") != AWSError.validation("b"))
        #expect(AWSError.Code.throttling.description == "ThrottlingException")
    }
}
