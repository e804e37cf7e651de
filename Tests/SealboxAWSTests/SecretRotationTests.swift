import Foundation
import SealboxAWS
import SealboxCore
import Testing

/// Rotation schedules and the rotation state a scheduled rotation goes through, with a hand-moved
/// clock; the conformance suite runs real handlers.
@Suite struct SecretRotationTests {
    let kms: KMSHarness
    let secrets: SecretsManager
    static let handler = "arn:aws:lambda:us-east-1:123456789012:function:rotate"

    init() throws {
        kms = try KMSHarness()
        secrets = try SecretsManager(store: kms.store, kms: kms.kms, clock: kms.clock)
        secrets.setRotationHandlers([Self.handler: "/bin/true"])
    }

    func ok(_ operation: String, _ body: [String: Any]) throws -> [String: Any] {
        try callOperation(SecretsManager.operations[operation]!, on: secrets, body, context: kms.context).get()
    }

    static func time(_ text: String) -> Double {
        ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970
    }

    static func schedule(_ expression: String) throws -> RotationSchedule {
        try RotationSchedule(automaticallyAfterDays: nil, scheduleExpression: expression, duration: nil)
    }

    @Test func cronExpressionsFindTheirNextMinute() throws {
        let start = Self.time("2026-12-07T21:10:30Z")  // a Monday
        let cases: [(String, String)] = [
            ("cron(0 16 1,15 * ? *)", "2026-12-15T16:00:00Z"),
            ("cron(30 2 L * ? *)", "2026-12-31T02:30:00Z"),
            ("cron(0 8 ? * MON-FRI *)", "2026-12-08T08:00:00Z"),
            ("cron(0 0 ? * SUN *)", "2026-12-13T00:00:00Z"),
            ("cron(15 21 * * ? *)", "2026-12-07T21:15:00Z"), ("cron(5 21 * * ? *)", "2026-12-08T21:05:00Z"),
            ("cron(0 */4 * * ? *)", "2026-12-08T00:00:00Z"),
            ("cron(0 12 29 FEB ? 2028)", "2028-02-29T12:00:00Z"),
            ("rate(6 hours)", "2026-12-08T03:10:30Z"),
            ("rate(3 days)", "2026-12-10T00:00:00Z"),
        ]
        for (expression, expected) in cases {
            #expect(try Self.schedule(expression).next(after: start) == Self.time(expected), "\(expression)")
        }
        let everyTwoDays = try RotationSchedule(automaticallyAfterDays: 2, scheduleExpression: nil, duration: "3h")
        #expect(everyTwoDays.next(after: start) == Self.time("2026-12-09T00:00:00Z"))
    }

    @Test func badRulesAreRefused() {
        for expression in [
            "rate(3 hours)", "rate(0 days)", "rate(1 week)", "cron(0 16 * * * *)", "cron(0 16 ? * ? *)",
            "cron(60 16 * * ? *)", "cron(0 16 32 * ? *)", "cron(0 16 * * ?)", "cron(0 16 5-1 * ? *)",
            "cron(0 16 */0 * ? *)", "at(2026-12-08T00:00:00)",
        ] {
            #expect(throws: SealboxError.self, "\(expression)") { try Self.schedule(expression) }
        }
        #expect(throws: SealboxError.self) {
            try RotationSchedule(automaticallyAfterDays: 1, scheduleExpression: "rate(1 day)", duration: nil)
        }
        for duration in ["0h", "25h", "3", "h"] {
            #expect(throws: SealboxError.self) {
                try RotationSchedule(automaticallyAfterDays: 1, scheduleExpression: nil, duration: duration)
            }
        }
    }

    @Test func aScheduledRotationStartsWhenItsWindowOpensAndIsRetriedAtTheNextAfterAFailure() throws {
        let created = try ok("CreateSecret", ["Name": "db", "SecretString": "one"])
        _ = try ok(
            "RotateSecret",
            [
                "SecretId": "db", "RotationLambdaARN": Self.handler, "RotateImmediately": false,
                "RotationRules": ["ScheduleExpression": "rate(1 day)"],
            ])
        let window = ((kms.clock.now() / 86_400).rounded(.down) + 1) * 86_400
        #expect(secrets.nextRotationDue() == window)
        kms.clock.advance(by: window - kms.clock.now() - 0.001)
        #expect(secrets.startDueRotations(now: kms.clock.now()).isEmpty)
        kms.clock.advance(by: 0.001)
        let job = try #require(secrets.startDueRotations(now: kms.clock.now()).first)
        // Running: not started twice, and not due.
        #expect(secrets.startDueRotations(now: kms.clock.now()).isEmpty)
        #expect(secrets.nextRotationDue() == nil)
        var stages = try ok("DescribeSecret", ["SecretId": "db"])["VersionIdsToStages"] as? [String: [String]]
        #expect(stages?[job.token] == ["AWSPENDING"])
        #expect(secrets.finish(job, failure: "step testSecret: exited with status 1") != .succeeded)
        #expect(secrets.nextRotationDue() == window + 86_400)
        let current = try ok("GetSecretValue", ["SecretId": "db"])
        #expect(current["VersionId"] as? String == created["VersionId"] as? String)

        // The next window takes up the same version; a handler that moves AWSCURRENT succeeds.
        kms.clock.advance(by: 86_400)
        let retry = try #require(secrets.startDueRotations(now: kms.clock.now()).first)
        #expect(retry.token == job.token)
        _ = try ok(
            "PutSecretValue",
            ["SecretId": "db", "ClientRequestToken": job.token, "SecretString": "two", "VersionStages": ["AWSPENDING"]])
        _ = try ok(
            "UpdateSecretVersionStage",
            [
                "SecretId": "db", "VersionStage": "AWSCURRENT", "MoveToVersionId": job.token,
                "RemoveFromVersionId": created["VersionId"] as! String,
            ])
        #expect(secrets.finish(retry, failure: nil) == .succeeded)
        let described = try ok("DescribeSecret", ["SecretId": "db"])
        #expect(described["LastRotatedDate"] as? Double == kms.clock.now())
        #expect(described["NextRotationDate"] as? Double == window + 2 * 86_400)
        stages = described["VersionIdsToStages"] as? [String: [String]]
        #expect(stages?[job.token]?.sorted() == ["AWSCURRENT", "AWSPENDING"])
        #expect(try ok("GetSecretValue", ["SecretId": "db"])["SecretString"] as? String == "two")
    }

    @Test func aFinishThatLeftAWSCURRENTIsAFailureAndADeletedSecretIsAbandoned() async throws {
        _ = try ok("CreateSecret", ["Name": "db", "SecretString": "one"])
        let rotated = try ok("RotateSecret", ["SecretId": "db", "RotationLambdaARN": Self.handler])
        var jobs = secrets.rotationJobs.makeAsyncIterator()
        let job = try #require(await jobs.next())
        #expect(job.token == rotated["VersionId"] as? String)
        #expect(
            secrets.finish(job, failure: nil)
                == .failed("the finishSecret step did not move AWSCURRENT to version \(job.token)"))
        _ = try ok("RotateSecret", ["SecretId": "db"])
        let again = try #require(await jobs.next())
        #expect(again.token == job.token)
        _ = try ok("DeleteSecret", ["SecretId": "db", "ForceDeleteWithoutRecovery": true])
        #expect(secrets.finish(again, failure: nil) == .abandoned)
    }

    @Test func aWindowWithoutAHandlerIsSkipped() throws {
        _ = try ok("CreateSecret", ["Name": "db", "SecretString": "one"])
        _ = try ok(
            "RotateSecret",
            [
                "SecretId": "db", "RotationLambdaARN": Self.handler, "RotateImmediately": false,
                "RotationRules": ["AutomaticallyAfterDays": 1],
            ])
        secrets.setRotationHandlers([:])
        let window = try #require(secrets.nextRotationDue())
        #expect(secrets.startDueRotations(now: window).isEmpty)
        #expect(secrets.nextRotationDue() == window + 86_400)
        let described = try ok("DescribeSecret", ["SecretId": "db"])
        #expect((described["VersionIdsToStages"] as? [String: [String]])?.count == 1)
    }
}
