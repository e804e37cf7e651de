import Foundation
import Logging
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

#if PostgreSQL
    import SealboxPostgres
#endif

/// What every store does beyond the basics (one thing by its address, secrets, daemon secrets,
/// copying), and what a shared PostgreSQL store does besides: its change feed, its conflicts and
/// its outages.
@Suite struct SharedStoreTests {
    static let scope = SQLiteStoreTests.scope

    static func parameter(_ name: String, _ values: [String]) -> StoredParameter {
        StoredParameter(
            name: name, scope: scope, tags: [],
            versions: values.enumerated().map { ParameterStoreTests.version($0.offset + 1, $0.element) })
    }

    static func secret(_ name: String, versions: [(String, [String])]) -> StoredSecret {
        StoredSecret(
            name: name, scope: scope,
            metadata: SecretMetadata(
                arn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:\(name)-AbCdEf", description: "d",
                kmsKeyId: nil, tags: [KeyTag(key: "team", value: "core")], created: 1, lastChanged: 2),
            versions: versions.enumerated().map { index, version in
                SecretVersion(
                    id: version.0, stages: version.1, created: Double(index), binary: index % 2 == 1,
                    value: Array("sealed-\(version.0)".utf8))
            })
    }

    static func put(_ parameter: StoredParameter, into store: any SealboxStorage) throws {
        try store.apply(ParameterChange(parameter: parameter, writtenVersions: parameter.versions.map(\.version)))
    }

    @Test(arguments: StoreBackend.available)
    func oneThingLoadsByItsAddressAndNeighboursStayApart(_ backend: StoreBackend) throws {
        let store = try backend.open()
        for name in ["/app", "/app/db", "/app0"] { try Self.put(Self.parameter(name, ["\(name)#1"]), into: store) }
        let loaded = try #require(try store.loadParameter(ParameterAddress("/app", in: Self.scope)))
        #expect(loaded.name == "/app" && loaded.versions.map(\.value) == [Array("/app#1".utf8)])
        #expect(try store.loadParameter(ParameterAddress("/ap", in: Self.scope)) == nil)
        #expect(try store.loadParameter(ParameterAddress("/app", in: .home)) == nil)
        let key = SQLiteStoreTests.key([1, 2])
        try store.saveKey(key)
        #expect(try store.loadKey(key.record.address)?.versions == key.versions)
        #expect(try store.loadKey(KeyAddress(key.record.id, in: .home)) == nil)
        let secret = Self.secret("db", versions: [("v1", ["AWSPREVIOUS"]), ("v2", ["AWSCURRENT"])])
        try store.apply([SecretChange(secret: secret, writtenVersions: ["v1", "v2"])])
        #expect(try store.loadSecret(at: secret.address) == secret)
        #expect(try store.loadSecret(at: Scoped("db", in: .home)) == nil)
    }

    @Test(arguments: StoreBackend.available)
    func aGroupOfChangesLandsAsItWouldOneByOne(_ backend: StoreBackend) throws {
        let store = try backend.open()
        try Self.put(Self.parameter("/old", ["0"]), into: store)
        let arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/secure"
        let secure = ParameterVersionRecord(
            name: "/secure", version: 1, type: .secureString, keyId: "alias/app", description: nil,
            allowedPattern: "^.*$", tier: "Advanced", dataType: "text", modified: 9, modifiedBy: "uid:1",
            labels: ["prod"], contextArn: arn, value: [0, 1, 2, 255])
        var twice = Self.parameter("/twice", ["a"])
        var tagged = Self.parameter("/tagged", ["t"])
        tagged.tags = [KeyTag(key: "team", value: "core")]
        var group = [
            ParameterChange(parameter: twice, writtenVersions: [1]),
            ParameterChange(
                parameter: StoredParameter(name: "/secure", scope: Self.scope, tags: [], versions: [secure]),
                writtenVersions: [1]),
            ParameterChange(parameter: tagged, writtenVersions: [1]),
        ]
        twice = Self.parameter("/twice", ["a", "b"])
        group.append(ParameterChange(parameter: twice, writtenVersions: [2]))
        var old = Self.parameter("/old", ["0", "1"])
        group.append(ParameterChange(parameter: old, writtenVersions: [2]))
        old.versions.removeFirst()
        group.append(ParameterChange(parameter: old, writtenVersions: [], removedVersions: [1]))
        try store.apply(group)
        let loaded = Dictionary(uniqueKeysWithValues: try store.loadParameters().map { ($0.name, $0) })
        #expect(loaded["/twice"]?.versions.map(\.value) == [Array("a".utf8), Array("b".utf8)])
        #expect(loaded["/old"]?.versions.map(\.version) == [2])
        #expect(loaded["/tagged"]?.tags == [KeyTag(key: "team", value: "core")])
        let stored = try #require(loaded["/secure"]?.versions.last)
        #expect(stored.keyId == "alias/app" && stored.description == nil && stored.allowedPattern == "^.*$")
        #expect(stored.labels == ["prod"] && stored.tier == "Advanced" && stored.value == [0, 1, 2, 255])
        #expect(stored.contextArn(name: "/secure") == arn)
        #expect(loaded["/twice"]?.versions.first?.sealedIn == nil && loaded["/twice"]?.versions.first?.keyId == nil)
    }

    @Test(arguments: StoreBackend.available)
    func secretVersionsAreWrittenRemovedAndDeletedWithTheirSecret(_ backend: StoreBackend) throws {
        let store = try backend.open()
        var secret = Self.secret("api", versions: [("a", ["AWSCURRENT"])])
        try store.apply([SecretChange(secret: secret, writtenVersions: ["a"])])
        secret.versions = [
            SecretVersion(id: "a", stages: ["AWSPREVIOUS"], created: 0, binary: false, value: Array("sealed-a".utf8)),
            SecretVersion(id: "b", stages: ["AWSCURRENT"], created: 1, binary: true, value: [0, 1, 2]),
        ]
        try store.apply([SecretChange(secret: secret, writtenVersions: ["a", "b"])])
        #expect(try store.loadSecrets() == [secret])
        secret.versions.removeFirst()
        let other = Self.secret("other", versions: [("x", ["AWSCURRENT"])])
        try store.apply([
            SecretChange(secret: secret, writtenVersions: [], removedVersions: ["a"]),
            SecretChange(secret: other, writtenVersions: ["x"]),
        ])
        #expect(try store.loadSecret(at: secret.address)?.versions.map(\.id) == ["b"])
        try store.apply([SecretChange(secret: nil, writtenVersions: [], deleted: [secret.address])])
        #expect(try store.loadSecrets().map(\.name) == ["other"])
    }

    @Test(arguments: StoreBackend.available)
    func daemonSecretsAndServiceSettingsRoundTrip(_ backend: StoreBackend) throws {
        let store = try backend.open()
        try store.saveSecret("audit-mac-key", [1, 2, 3])
        try store.saveSecret("audit-mac-key", [4, 5])
        try store.saveSecret("other", [6])
        #expect(try store.loadDaemonSecrets() == ["audit-mac-key": [4, 5], "other": [6]])
        #expect(try store.loadSecret("missing") == nil)
        let setting = ServiceSettingRecord(
            scope: Self.scope, setting: .defaultParameterTier, value: "Advanced", modified: 3, modifiedBy: "me")
        try store.saveServiceSetting(setting)
        #expect(try store.loadServiceSettings() == [setting])
        try store.deleteServiceSetting(setting.address)
        try store.deleteServiceSetting(setting.address)
        #expect(try store.loadServiceSettings().isEmpty)
    }

    @Test(arguments: StoreBackend.available, StoreBackend.available)
    func aCopyHoldsEveryRowAndRefusesATargetThatIsNotEmpty(_ from: StoreBackend, _ to: StoreBackend) throws {
        let source = try from.open()
        let key = SQLiteStoreTests.key([1, 2])
        try source.saveKey(key)
        try source.saveAlias(
            AliasRecord(name: "alias/a", scope: Self.scope, keyID: key.record.id, created: 1, updated: 1))
        try source.saveGrant(SQLiteStoreTests.grant(key))
        try source.saveSecret("audit-mac-key", [9])
        for index in 0..<620 { try Self.put(Self.parameter("/p/\(index)", ["a", "b"]), into: source) }
        try source.apply([
            SecretChange(secret: Self.secret("db", versions: [("v1", ["AWSCURRENT"])]), writtenVersions: ["v1"])
        ])
        let target = try to.open()
        var stages: Set<String> = []
        let counts = try StoreCopy(from: source, to: target).run { stage, _, _ in stages.insert(stage) }
        #expect(counts.parameters == 620 && counts.parameterVersions == 1_240 && counts.keys == 1)
        #expect(counts.aliases == 1 && counts.grants == 1 && counts.secrets == 1 && counts.daemonSecrets == 1)
        #expect(try StoreCopy.count(target) == StoreCopy.count(source))
        #expect(stages.isSuperset(of: ["keys", "parameters", "secrets"]))
        #expect(try target.loadKey(key.record.address)?.versions == key.versions)
        #expect(
            try target.loadParameter(ParameterAddress("/p/17", in: Self.scope))?.versions.map(\.value) == [
                Array("a".utf8), Array("b".utf8),
            ])
        #expect(throws: SetupError.self) { try StoreCopy(from: source, to: target).run { _, _, _ in } }
    }
}

#if PostgreSQL
    /// Two daemons on one PostgreSQL database: the feed, conflicts, migrations and outages.
    @Suite(.enabled(if: StoreBackend.postgresURL != nil, "needs SEALBOX_TEST_POSTGRES"))
    struct PostgresFeedTests {
        final class Applied: Sendable {
            let changes = Locked<[StoreChange]>([])
            func record(_ change: StoreChange) { changes.withLock { $0.append(change) } }
            var all: [StoreChange] { changes.withLock { $0 } }
        }

        @Test func anotherDaemonAppliesEachChangeOnceInOrderAndNeverItsOwn() throws {
            let location = try StoreBackend.newDatabase()
            let writer = try StoreBackend.sibling(of: location)
            let reader = try StoreBackend.sibling(of: location)
            let (mine, theirs) = (Applied(), Applied())
            writer.follow(mine.record)
            reader.follow(theirs.record)
            let key = SQLiteStoreTests.key([1])
            let alias = AliasRecord(
                name: "alias/x", scope: SharedStoreTests.scope, keyID: key.record.id, created: 1, updated: 1)
            let grant = SQLiteStoreTests.grant(key)
            let parameter = SharedStoreTests.parameter("/app/db", ["one"])
            let secret = SharedStoreTests.secret("db", versions: [("v1", ["AWSCURRENT"])])
            try writer.saveKey(key)
            try writer.saveAlias(alias)
            try writer.saveGrant(grant)
            try SharedStoreTests.put(parameter, into: writer)
            try writer.apply([SecretChange(secret: secret, writtenVersions: ["v1"])])
            try writer.publish(.revokeLeases(prefix: "/app/"))
            try writer.deleteGrant(grant.id)
            try writer.deleteKey(key.record.address)
            try reader.catchUp()
            try writer.catchUp()
            #expect(mine.all.isEmpty)
            #expect(
                theirs.all == [
                    .key(key.record.address), .alias(alias.address), .grants(key.record.address),
                    .parameter(parameter.address), .secret(secret.address), .revokeLeases(prefix: "/app/"),
                    .grants(key.record.address), .key(key.record.address), .grants(key.record.address),
                    .alias(alias.address),
                ])
            // Applied once: a second catch-up finds nothing new.
            try reader.catchUp()
            #expect(theirs.all.count == 10)
            #expect(reader.appliedChange == writer.appliedChange || reader.appliedChange > 0)
        }

        @Test func aDaemonBehindWhatTheFeedPrunedReloadsEverything() throws {
            let location = try StoreBackend.newDatabase()
            let writer = try StoreBackend.sibling(of: location)
            let reader = try StoreBackend.sibling(of: location)
            let applied = Applied()
            reader.follow(applied.record)
            writer.follow { _ in }
            try SharedStoreTests.put(SharedStoreTests.parameter("/old", ["one"]), into: writer)
            try StoreBackend.psql(location, "UPDATE sealbox_changes SET at = now() - interval '2 hours'")
            try writer.catchUp()
            try SharedStoreTests.put(SharedStoreTests.parameter("/new", ["two"]), into: writer)
            try reader.catchUp()
            // The pruned change cannot be applied on its own: the whole store is loaded instead, then
            // the feed goes on from where it was at that moment.
            #expect(applied.all.first == .everything)
            #expect(!applied.all.contains(.parameter(ParameterAddress("/old", in: SharedStoreTests.scope))))
            try reader.catchUp()
            #expect(applied.all.filter { $0 == .everything }.count == 1)
        }

        @Test func aWriteOnWhatAnotherDaemonChangedIsAConflictUntilItCatchesUp() throws {
            let location = try StoreBackend.newDatabase()
            let first = try StoreBackend.sibling(of: location)
            let second = try StoreBackend.sibling(of: location)
            second.follow { _ in }
            try SharedStoreTests.put(SharedStoreTests.parameter("/shared", ["one"]), into: first)
            let stale = SharedStoreTests.parameter("/shared", ["two"])
            #expect(throws: StoreError.self) { try SharedStoreTests.put(stale, into: second) }
            // Nothing of the refused write was kept.
            #expect(try first.loadParameter(stale.address)?.versions.map(\.value) == [Array("one".utf8)])
            // Something the other daemon did not touch is no conflict.
            try SharedStoreTests.put(SharedStoreTests.parameter("/mine", ["x"]), into: second)
            try second.catchUp()
            try SharedStoreTests.put(SharedStoreTests.parameter("/shared", ["one", "two"]), into: second)
            #expect(try first.loadParameter(stale.address)?.versions.count == 2)
        }

        /// One daemon of the fleet: the services on its own store object, following the others.
        struct Daemon {
            let store: PostgresStore
            let kms: KMS
            let secrets: SecretsManager

            init(
                _ location: StoreLocation.PostgresLocation, root: SecureBytes, clock: ManualClock,
                handlers: [String: String]
            )
                throws
            {
                store = try StoreBackend.sibling(of: location)
                kms = try KMS(store: store, rootKey: root, clock: clock)
                secrets = try SecretsManager(store: store, kms: kms, clock: clock)
                secrets.setRotationHandlers(handlers)
                let ssm = try SSM(store: store, kms: kms, clock: clock)
                let follower = StoreFollower(
                    kms: kms, ssm: ssm, secrets: secrets, leases: LeaseService(ssm: ssm, secrets: secrets, clock: clock)
                )
                store.follow { try follower.apply($0) }
            }
        }

        @Test func aDaemonWithoutTheRotationHandlerLeavesTheWindowToOneThatHasIt() throws {
            let location = try StoreBackend.newDatabase()
            let (root, clock) = (SecureBytes.random(count: 32), ManualClock())
            let handler = "arn:aws:lambda:us-east-1:123456789012:function:rotate"
            let runner = try Daemon(location, root: root, clock: clock, handlers: [handler: "/bin/true"])
            let other = try Daemon(location, root: root, clock: clock, handlers: [:])
            let context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .anonymous)
            _ = try runner.secrets.create(
                name: "db", description: nil, kmsKeyId: nil, value: .string(SecureBytes(copying: Array("one".utf8))),
                token: nil, tags: [], context: context)
            _ = try runner.secrets.rotate(
                "db", token: nil, lambdaARN: handler,
                schedule: try RotationSchedule(
                    automaticallyAfterDays: nil, scheduleExpression: "rate(1 day)", duration: nil),
                immediately: false, context: context)
            try other.store.catchUp()
            let window = try #require(runner.secrets.nextRotationDue())
            #expect(other.secrets.nextRotationDue() == window)
            clock.advance(by: window - clock.now())
            // The daemon without the handler neither rotates nor skips the window, and stops waiting for it.
            #expect(other.secrets.startDueRotations(now: clock.now()).isEmpty)
            #expect(other.secrets.nextRotationDue() == nil)
            try runner.store.catchUp()
            #expect(runner.secrets.nextRotationDue() == window)
            let job = try #require(runner.secrets.startDueRotations(now: clock.now()).first)
            #expect(job.address.name == "db" && job.lambdaARN == handler)
        }

        @Test func daemonsStartingAtOnceMigrateTheSchemaOnce() async throws {
            let location = try StoreBackend.newDatabase()
            let opened = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 { group.addTask { (try? StoreBackend.sibling(of: location)) != nil } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(opened == 4)
            let store = try StoreBackend.sibling(of: location)
            try SharedStoreTests.put(SharedStoreTests.parameter("/after", ["ok"]), into: store)
            #expect(try store.loadParameters().map(\.name) == ["/after"])
        }

        @Test func anUnreachableServerIsAClearErrorWithoutAPassword() throws {
            var location = try StoreBackend.newDatabase()
            location.port = 1
            let error = try #require(throws: SetupError.self) {
                try PostgresStore(location, password: "hunter2-do-not-print", logger: Logger(label: "test"))
            }
            #expect(error.description.contains("127.0.0.1:1"))
            #expect(!error.description.contains("hunter2"))
        }

        @Test func aPasswordInTheURLIsRefused() throws {
            #expect(throws: SetupError.self) { try StoreLocation("postgres://me:secret@127.0.0.1:5432/db") }
            #expect(throws: SetupError.self) { try StoreLocation("postgres://127.0.0.1:5432/db") }
            #expect(throws: SetupError.self) { try StoreLocation("postgres://me@127.0.0.1:5432/db?sslmode=maybe") }
            #expect(try StoreLocation("sqlite:/tmp/x.db") == .sqlite(path: "/tmp/x.db"))
        }
    }
#endif
