import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// SSM and KMS on one in-memory SQLite store, called through their wire operations.
struct SSMHarness {
    let kmsHarness: KMSHarness
    let ssm: SSM
    var context: RequestContext { kmsHarness.context }
    var clock: ManualClock { kmsHarness.clock }

    init() throws {
        kmsHarness = try KMSHarness()
        ssm = try SSM(store: kmsHarness.store, kms: kmsHarness.kms, clock: kmsHarness.clock)
    }

    func call(_ operation: String, _ body: [String: Any] = [:]) -> Result<[String: Any], AWSError> {
        callOperation(SSM.operations[operation]!, on: ssm, body, context: context)
    }

    func ok(_ operation: String, _ body: [String: Any] = [:]) throws -> [String: Any] {
        try call(operation, body).get()
    }

    func error(_ operation: String, _ body: [String: Any] = [:]) -> AWSError? {
        if case .failure(let error) = call(operation, body) { return error }
        return nil
    }

    @discardableResult
    func put(
        _ name: String, _ value: String, type: String = "String", overwrite: Bool = false, extra: [String: Any] = [:]
    ) throws -> Int {
        var body: [String: Any] = ["Name": name, "Value": value, "Type": type, "Overwrite": overwrite]
        body.merge(extra) { _, new in new }
        return try #require(try ok("PutParameter", body)["Version"] as? Int)
    }

    func value(_ name: String, decrypt: Bool = true) throws -> String? {
        let parameter =
            try ok("GetParameter", ["Name": name, "WithDecryption": decrypt])["Parameter"] as? [String: Any]
        return parameter?["Value"] as? String
    }
}
