import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// The SQLite store, with a count of its transactions and a switch that makes them fail.
final class CountingStore: ParameterStore {
    let inner: SQLiteStore
    let transactions = Locked<[Int]>([])
    let failing = Locked(false)

    init(_ inner: SQLiteStore) { self.inner = inner }

    struct DiskFull: Error {}

    func loadParameters(reserve: (Int) -> Void, _ body: (StoredParameter) throws -> Void) throws {
        try inner.loadParameters(reserve: reserve, body)
    }

    func loadParameter(_ address: ParameterAddress) throws -> StoredParameter? { try inner.loadParameter(address) }

    func apply(_ change: ParameterChange) throws { try apply([change]) }

    func apply(_ changes: [ParameterChange]) throws {
        if failing.withLock({ $0 }) { throw DiskFull() }
        try inner.apply(changes)
        transactions.withLock { $0.append(changes.count) }
    }

    func loadServiceSettings() throws -> [ServiceSettingRecord] { try inner.loadServiceSettings() }

    func saveServiceSetting(_ record: ServiceSettingRecord) throws {
        if failing.withLock({ $0 }) { throw DiskFull() }
        try inner.saveServiceSetting(record)
    }

    func deleteServiceSetting(_ address: Scoped<String>) throws {
        if failing.withLock({ $0 }) { throw DiskFull() }
        try inner.deleteServiceSetting(address)
    }
}

@Suite struct SSMGroupCommitTests {
    let kms: KMSHarness
    let store: CountingStore
    let ssm: SSM
    let putGroup: @Sendable ([AWSCall]) -> [Result<ResponseBody, AWSError>]

    init() throws {
        kms = try KMSHarness()
        store = CountingStore(kms.store)
        ssm = try SSM(store: store, kms: kms.kms, clock: kms.clock)
        putGroup = try #require(SSM.operations["PutParameter"]?.group(on: ssm))
    }

    func call(_ body: [String: Any]) -> AWSCall {
        AWSCall(body: Array(try! JSONSerialization.data(withJSONObject: body)), context: kms.context)
    }

    func get(_ name: String) -> Result<[String: Any], AWSError> {
        callOperation(
            SSM.operations["GetParameter"]!, on: ssm, ["Name": name, "WithDecryption": true], context: kms.context)
    }

    static func version(_ answer: Result<ResponseBody, AWSError>) -> Int? {
        guard case .success(.json(let json)) = answer,
            let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
        else { return nil }
        return object["Version"] as? Int
    }

    static func errorType<Success>(_ answer: Result<Success, AWSError>) -> String? {
        if case .failure(let error) = answer { return error.type }
        return nil
    }

    @Test func eachCallIsCheckedAfterTheOnesBeforeItAndTheRestCommitTogether() throws {
        let answers = putGroup([
            call(["Name": "/g/a", "Value": "one", "Type": "String"]),
            AWSCall(body: Array("{not json".utf8), context: kms.context),
            call(["Name": "/g/a", "Value": "again", "Type": "String"]),
            call(["Name": "/g/a", "Value": "two", "Overwrite": true]),
            call(["Name": "/g/b", "Value": "secret", "Type": "SecureString"]),
            call(["Name": "/g/c", "Type": "String"]),
        ])
        #expect(answers.count == 6)
        #expect(Self.version(answers[0]) == 1)
        #expect(Self.errorType(answers[1]) == "SerializationException")
        // The group's first call already made /g/a.
        #expect(Self.errorType(answers[2]) == "ParameterAlreadyExists")
        #expect(Self.version(answers[3]) == 2)
        #expect(Self.version(answers[4]) == 1)
        #expect(Self.errorType(answers[5]) == "ValidationException")
        #expect(store.transactions.withLock { $0 } == [3])

        let latest = try get("/g/a").get()["Parameter"] as? [String: Any]
        #expect(latest?["Value"] as? String == "two")
        #expect(latest?["Version"] as? Int == 2)
        #expect((try get("/g/a:1").get()["Parameter"] as? [String: Any])?["Value"] as? String == "one")
        #expect((try get("/g/b").get()["Parameter"] as? [String: Any])?["Value"] as? String == "secret")
        let stored = try kms.store.loadParameters()
        #expect(stored.map(\.name) == ["/g/a", "/g/b"])
        #expect(stored.first?.versions.map(\.version) == [1, 2])
    }

    @Test func aFailedCommitFailsEveryCallItHeldAndPublishesNothing() throws {
        #expect(Self.version(putGroup([call(["Name": "/f/a", "Value": "kept", "Type": "String"])])[0]) == 1)
        store.failing.withLock { $0 = true }
        let answers = putGroup([
            call(["Name": "/f/a", "Value": "lost", "Overwrite": true]),
            call(["Name": "/f/b", "Value": "lost", "Type": "String"]),
            call(["Name": "/f/a", "Value": "x", "Type": "Nonsense", "Overwrite": true]),
        ])
        #expect(
            answers.map { Self.errorType($0) } == ["InternalServerError", "InternalServerError", "ValidationException"])
        store.failing.withLock { $0 = false }

        #expect((try get("/f/a").get()["Parameter"] as? [String: Any])?["Value"] as? String == "kept")
        #expect(Self.errorType(get("/f/b")) == "ParameterNotFound")
        // Nothing of the failed group was published: the next write is version 2, not 3.
        #expect(Self.version(putGroup([call(["Name": "/f/a", "Value": "next", "Overwrite": true])])[0]) == 2)
        #expect(try kms.store.loadParameters().map(\.name) == ["/f/a"])
    }

    @Test func oneCallAloneAnswersLikeTheOperation() throws {
        let operation = try #require(SSM.operations["PutParameter"])
        #expect(operation.writes)
        let body = Array(try JSONSerialization.data(withJSONObject: ["Name": "/one", "Value": "v", "Type": "String"]))
        #expect(
            Self.version(Result { () throws(AWSError) in try operation(ssm, body: body, context: kms.context) }) == 1)
        #expect(
            Self.errorType(Result { () throws(AWSError) in try operation(ssm, body: body, context: kms.context) })
                == "ParameterAlreadyExists")
        #expect(store.transactions.withLock { $0 } == [1])
        #expect(SSM.operations.values.filter { $0.group(on: ssm) != nil }.map(\.name) == ["PutParameter"])
    }
}
