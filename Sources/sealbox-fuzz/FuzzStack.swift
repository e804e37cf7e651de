import Logging
import NIOPosix
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxServer
import SealboxStore

#if canImport(Glibc)
    import Glibc
#endif

/// An ephemeral daemon's parts, in memory, for the targets that go through operations. It is
/// replaced every few thousand inputs so that what fuzzed writes create does not pile up.
final class FuzzStack: Sendable {
    let kms: KMS
    let ssm: SSM
    let router: Router
    let context: RequestContext
    static let extensionToken = "fuzz-extension-token"

    private static let current = Locked<(uses: Int, stack: FuzzStack?)>((0, nil))

    /// The stack for the next input.
    static func shared() -> FuzzStack {
        current.withLock { state in
            state.uses += 1
            if state.stack == nil || state.uses % 5_000 == 0 { state.stack = FuzzStack() }
            return state.stack!
        }
    }

    private init() {
        let settings = ServerSettings(
            accountID: "123456789012", region: "us-east-1", ephemeral: true, daemonUID: getuid(), version: "fuzz")
        do {
            kms = try KMS(store: try SQLiteStore(), rootKey: .random(count: Envelope.keyLength))
            ssm = try SSM(store: try SQLiteStore(), kms: kms)
        } catch {
            fatalError("the in-memory stack could not be built: \(error)")
        }
        // Never started: writes over HTTP, which run on the pool, are refused with a 500, as while a
        // daemon shuts down. The aws-json target runs every operation, writes included, directly.
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        router = Router(
            kms: kms, ssm: ssm, leases: LeaseService(ssm: ssm), settings: settings,
            security: SecurityState(SecuritySettings(policy: nil, accessKeys: [])),
            extensionToken: SecureBytes(copying: Array(Self.extensionToken.utf8)), audit: nil,
            threadPool: threadPool, logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .anonymous)
        do {
            _ = try Fixtures.parse(Self.fixtures, origin: "fuzz").apply(
                kms: kms, ssm: ssm, context: context, origin: "fuzz")
        } catch {
            fatalError("the fuzz fixtures did not apply: \(error)")
        }
    }

    /// What the seed corpus refers to, so seeded requests reach past "not found".
    static let fixtures = """
        keys:
          - id: 1234abcd-12ab-34cd-56ef-1234567890ab
            aliases: [alias/fuzz]
            material: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
        parameters:
          - {name: /fuzz/plain, type: String, value: plain, labels: [live]}
          - {name: /fuzz/list, type: StringList, value: [a, b]}
          - {name: /fuzz/secret, type: SecureString, keyId: alias/fuzz, value: s3cr3t}
        """
}
