import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// A KMS on an in-memory SQLite store with a hand-moved clock, called through its wire operations.
struct KMSHarness {
    let clock = ManualClock()
    let store: SQLiteStore
    let root = SecureBytes.random(count: 32)
    let kms: KMS
    let context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .anonymous)

    init() throws {
        store = try SQLiteStore()
        kms = try KMS(store: store, rootKey: root, clock: clock)
    }

    /// Calls an operation; returns the decoded JSON object or the AWS error.
    func call(_ operation: String, _ body: [String: Any] = [:]) -> Result<[String: Any], AWSError> {
        callOperation(KMS.operations[operation]!, on: kms, body, context: context)
    }

    func ok(_ operation: String, _ body: [String: Any] = [:]) throws -> [String: Any] {
        try call(operation, body).get()
    }

    func error(_ operation: String, _ body: [String: Any] = [:]) -> AWSError? {
        if case .failure(let error) = call(operation, body) { return error }
        return nil
    }

    func createKey(_ body: [String: Any] = [:]) throws -> String {
        let metadata = try #require(try ok("CreateKey", body)["KeyMetadata"] as? [String: Any])
        return try #require(metadata["KeyId"] as? String)
    }

    func encrypt(_ keyId: String, _ text: String, context: [String: String] = [:]) throws -> String {
        let response = try ok(
            "Encrypt",
            ["KeyId": keyId, "Plaintext": Base64.encode(Array(text.utf8)), "EncryptionContext": context])
        return try #require(response["CiphertextBlob"] as? String)
    }

    func decrypt(_ blob: String, context: [String: String] = [:]) throws -> String {
        let response = try ok("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": context])
        let plaintext = try Base64.decode(Array(try #require(response["Plaintext"] as? String).utf8))
        return String(decoding: plaintext, as: UTF8.self)
    }
}

/// Runs a wire operation on a service with a JSON body; returns the decoded JSON object or the AWS error.
func callOperation<Service: Sendable>(
    _ operation: AWSOperation<Service>,
    on service: Service,
    _ body: [String: Any],
    context: RequestContext
) -> Result<[String: Any], AWSError> {
    let bytes = Array(try! JSONSerialization.data(withJSONObject: body))
    do {
        let data: Data
        switch try operation(service, body: bytes, context: context) {
        case .json(let json): data = Data(json)
        case .sensitive(let secret): data = secret.withUnsafeBytes { Data($0) }
        }
        return .success(try! JSONSerialization.jsonObject(with: data) as! [String: Any])
    } catch {
        return .failure(error)
    }
}

/// Expects `body` to throw the domain error `code`: compared by code, never by message.
/// - Parameters:
///   - code: the expected code.
///   - sourceLocation: where a failure is reported.
///   - body: the code under test.
func expectError(
    _ code: SealboxError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Any
) {
    let error = #expect(throws: SealboxError.self, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}
