import NIOHTTP1
import SealboxAWS
import SealboxCore
import Testing

@testable import SealboxServer

/// A route's failure is answered in its style, by the domain error's code, and its audit record
/// says whether it was a denial.
@Suite struct ErrorStyleTests {
    @Test(arguments: [
        (SealboxError.Code.leaseNotFound, HTTPResponseStatus.notFound, "LeaseNotFound", "failed:404"),
        (.leaseExpired, .forbidden, "LeaseExpired", "denied"),
        (.leaseUsedUp, .forbidden, "LeaseUsedUp", "denied"),
        (.accessDenied, .forbidden, "AccessDenied", "denied"),
        (.tooManyLeases, .tooManyRequests, "TooManyLeases", "failed:429"),
        (.validation, .badRequest, "BadRequest", "failed:400"),
        (.parameterNotFound, .notFound, "ParameterNotFound", "failed:404"),
        (.keyUnavailable, .forbidden, "KeyUnavailable", "denied"),
        // A secret lease fails as GetSecretValue does.
        (.resourceNotFound, .notFound, "ResourceNotFound", "failed:404"),
        (.invalidRequest, .conflict, "InvalidRequest", "failed:409"),
        (.decryptionFailure, .forbidden, "DecryptionFailure", "denied"),
        (.invalidState, .internalServerError, "InternalError", "failed:500"),
    ])
    func nativeAnswersCarryTheNativeCode(
        code: SealboxError.Code, status: HTTPResponseStatus, name: String, result: String
    ) {
        let (response, audit) = Route.ErrorStyle.native.answer(SealboxError(code, "why"))
        #expect(response.status == status)
        #expect(Self.body(response).contains(#""error":"\#(name)""#))
        #expect(audit == result)
    }

    @Test(arguments: [
        (SealboxError.Code.accessDenied, HTTPResponseStatus.forbidden, "AccessDeniedException", "denied"),
        (.notFound, .notFound, "NotFoundException", "failed:NotFoundException"),
        (.disabled, .conflict, "DisabledException", "failed:DisabledException"),
        (.validation, .badRequest, "ValidationException", "failed:ValidationException"),
        (.internalFailure, .internalServerError, "InternalServerError", "failed:InternalServerError"),
    ])
    func adminAnswersUseTheAWSNames(code: SealboxError.Code, status: HTTPResponseStatus, name: String, result: String) {
        let (response, audit) = Route.ErrorStyle.admin.answer(SealboxError(code, "why"))
        #expect(response.status == status)
        #expect(Self.body(response).contains(#""error":"\#(name)""#))
        #expect(audit == result)
    }

    @Test func anAdminAnswerToATamperedTokenSaysWhatMayBeWrong() {
        let (response, _) = Route.ErrorStyle.admin.answer(SealboxError(.invalidCiphertext, ""))
        #expect(Self.body(response).contains("does not open"))
    }

    @Test func awsAnswersCarryTheTypeHeaderAndBody() {
        let (response, audit) = Route.ErrorStyle.aws.answer(SealboxError(.parameterNotFound, "no such"))
        #expect(response.status == .badRequest)
        #expect(response.headers.first(name: "X-Amzn-ErrorType") == "ParameterNotFound")
        #expect(Self.body(response).contains(#""__type":"ParameterNotFound""#))
        #expect(audit == "failed:ParameterNotFound")
        #expect(Route.ErrorStyle.aws.answer(SealboxError(.accessDenied, "no")).result == "denied")
    }

    @Test func aNativeErrorIsSentAsItIsInEveryStyle() {
        let error = NativeError(status: .conflict, code: "NotEphemeral", message: "no")
        for style in [Route.ErrorStyle.native, .admin, .aws] {
            let (response, audit) = style.answer(error)
            #expect(response.status == .conflict)
            #expect(Self.body(response).contains("NotEphemeral"))
            #expect(audit == "failed:409")
        }
    }

    @Test func anUnexpectedErrorNamesNoDetail() {
        struct Unexpected: Error { var detail = "/secret/path" }
        for style in [Route.ErrorStyle.native, .admin, .aws] {
            let (response, _) = style.answer(Unexpected())
            #expect(response.status == .internalServerError)
            #expect(!Self.body(response).contains("secret"))
        }
    }

    private static func body(_ response: HTTPResponse) -> String {
        guard case .json(let bytes) = response.body else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
