import Foundation
import SealboxAWS
import SealboxCore
import Testing

/// Parameter policies through PutParameter and DescribeParameters, acted on with a hand-moved clock.
@Suite struct ParameterPolicyTests {
    let harness: SSMHarness

    init() throws { harness = try SSMHarness() }

    /// The clock's time plus `seconds`, as an ISO 8601 timestamp.
    func stamp(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: harness.clock.now() + seconds))
    }

    func policies(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    func expiration(in seconds: Double) -> String {
        #"{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"\#(stamp(seconds))"}}"#
    }

    static let notifyHourBefore =
        #"{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"1","Unit":"Hours"}}"#
    static let notifyUnchangedForADay =
        #"{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"}}"#

    func described(_ name: String, on ssm: SSM? = nil) throws -> [[String: Any]] {
        let answer = try callOperation(
            SSM.operations["DescribeParameters"]!, on: ssm ?? harness.ssm,
            ["ParameterFilters": [["Key": "Name", "Values": [name]]]], context: harness.context
        ).get()
        let parameters = try #require(answer["Parameters"] as? [[String: Any]])
        return try #require(parameters.first?["Policies"] as? [[String: Any]])
    }

    @Test func eachPolicyActsAtItsTimeAndNotBefore() throws {
        try harness.put(
            "/p/a", "v",
            extra: [
                "Tier": "Advanced",
                "Policies": policies([expiration(in: 7200), Self.notifyHourBefore, Self.notifyUnchangedForADay]),
            ])
        #expect(harness.ssm.nextPolicyDue() == harness.clock.now() + 3600)
        #expect(try harness.ssm.applyDuePolicies(now: harness.clock.now()).isEmpty)
        #expect(try described("/p/a").map { $0["PolicyStatus"] as? String } == ["Pending", "Pending", "Pending"])
        harness.clock.advance(by: 3600)
        let notified = try harness.ssm.applyDuePolicies(now: harness.clock.now())
        #expect(
            notified == [
                ParameterPolicyEvent(
                    name: "/p/a", scope: harness.context.scope, kind: .expirationNotification, version: 1)
            ])
        #expect(try described("/p/a").map { $0["PolicyStatus"] as? String } == ["Pending", "Finished", "Pending"])
        // Sent once: the next due time is the expiration's.
        #expect(try harness.ssm.applyDuePolicies(now: harness.clock.now()).isEmpty)
        #expect(harness.ssm.nextPolicyDue() == harness.clock.now() + 3600)
        harness.clock.advance(by: 3599.999)
        #expect(try harness.value("/p/a") == "v")
        harness.clock.advance(by: 0.001)
        // A read at the expiration finds nothing, before the scheduler has run.
        #expect(harness.error("GetParameter", ["Name": "/p/a"])?.code == .parameterNotFound)
        let expired = try harness.ssm.applyDuePolicies(now: harness.clock.now())
        #expect(
            expired == [ParameterPolicyEvent(name: "/p/a", scope: harness.context.scope, kind: .expiration, version: 1)]
        )
        #expect(harness.ssm.nextPolicyDue() == nil)
        #expect(harness.ssm.parameterCount == 0)
    }

    @Test func aSentNotificationStaysSentAcrossARestartAndANewVersionRearmsIt() throws {
        try harness.put(
            "/p/b", "v", extra: ["Tier": "Intelligent-Tiering", "Policies": policies([Self.notifyUnchangedForADay])])
        harness.clock.advance(by: 86_400)
        #expect(try harness.ssm.applyDuePolicies(now: harness.clock.now()).map(\.kind) == [.noChangeNotification])
        let restarted = try SSM(store: harness.kmsHarness.store, kms: harness.kmsHarness.kms, clock: harness.clock)
        #expect(try restarted.applyDuePolicies(now: harness.clock.now()).isEmpty)
        #expect(try described("/p/b", on: restarted).first?["PolicyStatus"] as? String == "Finished")
        // An overwrite without Policies keeps them, and a change restarts the no-change period.
        try harness.put("/p/b", "w", overwrite: true)
        let kept = try described("/p/b")
        #expect(kept.first?["PolicyType"] as? String == "NoChangeNotification")
        #expect(kept.first?["PolicyStatus"] as? String == "Pending")
        #expect(harness.ssm.nextPolicyDue() == harness.clock.now() + 86_400)
        // `[]` removes them.
        try harness.put("/p/b", "x", overwrite: true, extra: ["Policies": "[]"])
        #expect(try described("/p/b").isEmpty)
        #expect(harness.ssm.nextPolicyDue() == nil)
    }

    @Test func policiesNeedTheAdvancedTier() throws {
        let one = policies([Self.notifyUnchangedForADay])
        #expect(
            harness.error("PutParameter", ["Name": "/p/c", "Value": "v", "Type": "String", "Policies": one])?.code
                == .validation)
        #expect(
            harness.error(
                "PutParameter", ["Name": "/p/c", "Value": "v", "Type": "String", "Tier": "Standard", "Policies": one])?
                .code == .validation)
        try harness.put("/p/c", "v", extra: ["Tier": "Intelligent-Tiering", "Policies": one])
        let tier = try harness.ok("DescribeParameters", [:])["Parameters"] as? [[String: Any]]
        #expect(tier?.first?["Tier"] as? String == "Advanced")
    }

    @Test func badPoliciesAreRefusedWithAWSsCodes() throws {
        func refusal(_ policies: String) -> AWSError.Code? {
            harness.error(
                "PutParameter",
                ["Name": "/p/d", "Value": "v", "Type": "String", "Tier": "Advanced", "Policies": policies])?.code
        }
        #expect(refusal(#"[{"Type":"Rotation","Version":"1.0","Attributes":{}}]"#) == .invalidPolicyType)
        #expect(refusal(policies([expiration(in: -1)])) == .invalidPolicyAttribute)
        #expect(refusal(policies([Self.notifyHourBefore])) == .invalidPolicyAttribute)
        #expect(
            refusal(#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Weeks"}}]"#)
                == .invalidPolicyAttribute)
        #expect(
            refusal(#"[{"Type":"Expiration","Version":"2.0","Attributes":{"Timestamp":"\#(stamp(60))"}}]"#)
                == .invalidPolicyAttribute)
        #expect(refusal(policies([expiration(in: 60), expiration(in: 120)])) == .invalidPolicyAttribute)
        #expect(refusal(policies(Array(repeating: Self.notifyUnchangedForADay, count: 11))) == .policiesLimitExceeded)
        #expect(refusal("not json") == .validation)
        #expect(harness.ssm.parameterCount == 0)
    }
}
