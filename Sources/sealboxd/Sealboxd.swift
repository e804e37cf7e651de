import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxServer
import SealboxStore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Sealboxd: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "sealboxd",
        abstract: "The Sealbox secrets broker daemon.",
        discussion: """
            Serves AWS KMS (AWS JSON 1.1) over a Unix socket and loopback TCP, with key material kept \
            encrypted under a root key. Every flag can also be set with an environment variable \
            SEALBOX_<NAME>, for example SEALBOX_DATA_DIR=/var/lib/sealbox.

            Examples:
              sealboxd                                  # ./.sealbox, socket ./.sealbox/sealbox.sock, 127.0.0.1:2773
              sealboxd --ephemeral --listen 127.0.0.1:0 # in-memory, for a test suite
              sealboxd --root-key credential:root.key   # under systemd's LoadCredential=
            """,
        version: version
    )

    @Option(
        help: ArgumentHelp(
            "SQLite store, root key file and credentials file. [env: SEALBOX_DATA_DIR]", valueName: "path"))
    var dataDir: String?

    @Option(
        help: ArgumentHelp(
            "Unix socket, created mode 0660. Default <data-dir>/sealbox.sock. [env: SEALBOX_SOCKET]", valueName: "path")
    )
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "Loopback TCP listener, or 'none'. Default 127.0.0.1:2773. [env: SEALBOX_LISTEN]", valueName: "host:port"))
    var listen: String?

    @Flag(help: "Allow a non-loopback --listen address. [env: SEALBOX_ALLOW_REMOTE]")
    var allowRemote = false

    @Option(
        help: ArgumentHelp(
            "file:PATH, env:NAME (base64) or credential:NAME. Default file:<data-dir>/root.key. [env: SEALBOX_ROOT_KEY]",
            valueName: "source"))
    var rootKey: String?

    @Option(
        help: ArgumentHelp(
            "Policy, access keys and lease limits (YAML); reloaded on SIGHUP. [env: SEALBOX_CONFIG]", valueName: "path")
    )
    var config: String?

    @Option(
        help: ArgumentHelp(
            "Append-only, hash-chained JSON lines; - for stderr. Default <data-dir>/audit.log (none with --ephemeral). [env: SEALBOX_AUDIT_LOG]",
            valueName: "path"))
    var auditLog: String?

    @Flag(
        help:
            "In-memory store and random root key; nothing is written to disk. For test suites. [env: SEALBOX_EPHEMERAL]"
    )
    var ephemeral = false

    @Option(
        help: ArgumentHelp(
            "Keys, aliases, parameters and access keys to apply at start (YAML or JSON), idempotently; an ephemeral daemon's reset returns to them. [env: SEALBOX_FIXTURES]",
            valueName: "path"))
    var fixtures: String?

    @Option(
        help: ArgumentHelp(
            "Log lines on stderr as logfmt or json; the level comes from the config's logging.level (default info). [env: SEALBOX_LOG_FORMAT]",
            valueName: "format"))
    var logFormat: String?

    @Flag(
        help:
            "With --ephemeral, still verify SigV4 on TCP, against the access keys in --config. [env: SEALBOX_REQUIRE_AUTH]"
    )
    var requireAuth = false

    @Option(help: ArgumentHelp("The account in ARNs. [env: SEALBOX_ACCOUNT_ID]", valueName: "id"))
    var accountId: String?

    @Option(
        help: ArgumentHelp(
            "The default region; a signed request's credential scope overrides it. [env: SEALBOX_REGION]",
            valueName: "name"))
    var region: String?

    func run() async throws {
        // Files the daemon creates (store, WAL, keys) are for its own user only.
        umask(0o077)
        if let failure = ProcessHardening.disableCoreDumps() {
            FileHandle.standardError.write(Data("sealboxd: warning: could not disable core dumps: \(failure)\n".utf8))
        }
        let environment = ProcessInfo.processInfo.environment
        // Under systemd: sockets passed by activation, and the notify socket for READY/STOPPING.
        let notifier = SystemdNotifier(environment: environment)
        let activated = ActivatedSockets(environment: environment).listeners
        notifier.notify("STATUS=opening the store")
        func setting(_ value: String?, _ name: String) -> String? { value ?? environment["SEALBOX_\(name)"] }
        func flag(_ value: Bool, _ name: String) -> Bool {
            value || ["1", "true", "yes"].contains(environment["SEALBOX_\(name)"]?.lowercased() ?? "")
        }

        guard let format = StructuredLogHandler.Format(rawValue: setting(logFormat, "LOG_FORMAT") ?? "logfmt") else {
            throw ValidationError("--log-format is logfmt or json")
        }
        // The level is read from the config before anything else, so start-up is logged at it too.
        let configuredLevel = try setting(config, "CONFIG").flatMap { path in
            try SealboxConfig.parse(String(contentsOfFile: path, encoding: .utf8), origin: path).logLevel
        }
        let level = configuredLevel.flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "sealboxd")

        let ephemeral = flag(ephemeral, "EPHEMERAL")
        let dataDir = setting(dataDir, "DATA_DIR") ?? "./.sealbox"
        let listenText = setting(listen, "LISTEN") ?? "127.0.0.1:2773"
        var tcp: ListenAddress? = nil
        if listenText != "none" {
            guard let address = ListenAddress(listenText) else {
                throw ValidationError("--listen must be HOST:PORT or none, not '\(listenText)'")
            }
            guard address.isLoopback || flag(allowRemote, "ALLOW_REMOTE") else {
                throw ValidationError(
                    "--listen \(listenText) is not a loopback address; pass --allow-remote to expose Sealbox beyond this host"
                )
            }
            tcp = address
        }
        let accountID = setting(accountId, "ACCOUNT_ID") ?? "123456789012"
        guard accountID.count == 12, accountID.allSatisfy(\.isNumber) else {
            throw ValidationError("--account-id must be 12 digits")
        }
        var settings = ServerSettings(
            accountID: accountID, region: setting(region, "REGION") ?? "us-east-1", ephemeral: ephemeral,
            daemonUID: getuid(), version: Self.version)

        let store: SQLiteStore
        let root: SecureBytes
        var rootFile: String? = nil
        var accessKeys: [AccessKey] = []
        var extensionToken: SecureBytes? = nil
        var socketPath = setting(socket, "SOCKET")
        if ephemeral {
            store = try SQLiteStore()
            root = SecureBytes.random(count: Envelope.keyLength)
        } else {
            if let warning = try Self.prepareDataDir(dataDir) { logger.warning("\(warning)") }
            socketPath = socketPath ?? "\(dataDir)/sealbox.sock"
            let sourceText = setting(rootKey, "ROOT_KEY")
            guard let source = RootKeySource(sourceText ?? "file:\(dataDir)/root.key") else {
                throw ValidationError("--root-key must be file:PATH, env:NAME or credential:NAME")
            }
            let (key, created) = try RootKey.load(source, createIfMissing: sourceText == nil)
            if created {
                logger.warning(
                    "generated a DEVELOPMENT root key at \(dataDir)/root.key (mode 0600); production should pass --root-key credential:NAME"
                )
            }
            root = key
            settings.rootKeySource = source.description
            if case .file(let path) = source {
                rootFile = path
                settings.rootKeyFile = path
            }
            store = try SQLiteStore(path: "\(dataDir)/sealbox.db")
            accessKeys = try CredentialsFile.loadOrCreate(at: "\(dataDir)/credentials")
            extensionToken = try Self.writeExtensionToken("\(dataDir)/token")
        }

        let kms: KMS
        do {
            kms = try KMS(store: store, rootKey: root)
            if let rootFile, RootKey.loadCandidate(for: rootFile) != nil {
                // A rotation stopped before its transaction: the current key is the valid one.
                RootKey.discardCandidate(for: rootFile)
                logger.warning("discarded the key of a root key rotation that did not complete")
            }
        } catch let error as CryptoError where error.isInvalidCiphertext {
            // A rotation that committed but stopped before installing its key left the key beside it.
            guard let rootFile, let candidate = RootKey.loadCandidate(for: rootFile),
                let recovered = try? KMS(store: store, rootKey: candidate)
            else {
                throw SetupError(
                    description: "the root key does not unwrap the keys in \(dataDir)/sealbox.db: wrong --root-key?")
            }
            try RootKey.promoteCandidate(for: rootFile)
            logger.warning("finished an interrupted root key rotation: \(rootFile) now holds the new key")
            kms = recovered
        }
        // Created on first start, so the store always holds a secret that only the right root key opens.
        let auditKey = try kms.auditKey()
        let ssm = try SSM(store: store, kms: kms)
        // Loading builds and drops large temporaries; hand their pages back rather than carry them.
        ProcessHardening.releaseFreeMemory()
        let seed = try setting(fixtures, "FIXTURES").map { path in
            FixtureSeed(fixtures: try Fixtures.load(path), origin: path)
        }
        if let seed {
            let context = RequestContext(
                region: settings.region, accountID: settings.accountID, principal: .anonymous)
            let report = try seed.fixtures.apply(kms: kms, ssm: ssm, context: context, origin: seed.origin)
            logger.info(
                "applied fixtures",
                metadata: [
                    "file": "\(seed.origin)", "keysCreated": "\(report.keysCreated)",
                    "parametersWritten": "\(report.parametersWritten)",
                ])
        }
        let configPath = setting(config, "CONFIG")
        let daemonKeys =
            accessKeys
            + (seed?.fixtures.accessKeys ?? []).map { AccessKey(id: $0.id, secret: $0.secret, principal: $0.principal) }
        let daemonUID = settings.daemonUID
        // Without a config: the default policy, or none at all for an ephemeral daemon (as moto).
        let loadSecurity: @Sendable () throws -> (SecuritySettings, SealboxConfig) = {
            guard let configPath else {
                return (
                    SecuritySettings(
                        policy: ephemeral ? nil : .defaultPolicy(daemonUID: daemonUID), accessKeys: daemonKeys),
                    SealboxConfig()
                )
            }
            let text = try String(contentsOfFile: configPath, encoding: .utf8)
            let parsed = try SealboxConfig.parse(text, origin: configPath)
            let configured = try parsed.accessKeys.map { entry in
                AccessKey(
                    id: entry.id,
                    secret: try SecretFile.readLine(entry.secretFile, what: "the secret file of \(entry.id)"),
                    principal: entry.principal)
            }
            return (
                SecuritySettings(
                    // An ephemeral daemon's config without a policy lets every authenticated caller in.
                    policy: parsed.policy ?? (ephemeral ? nil : .defaultPolicy(daemonUID: daemonUID)),
                    accessKeys: daemonKeys + configured),
                parsed
            )
        }
        let (initialSecurity, initialConfig) = try loadSecurity()
        let security = SecurityState(initialSecurity)
        let leases = LeaseService(ssm: ssm, settings: initialConfig.leases)
        settings.limits = initialConfig.limits
        settings.requireAuth = flag(requireAuth, "REQUIRE_AUTH")
        if settings.requireAuth && (!ephemeral || (configPath == nil && daemonKeys.isEmpty)) {
            throw ValidationError(
                "--require-auth goes with --ephemeral and access keys, from a --config or from --fixtures")
        }
        let region = settings.region
        let auditPath = setting(auditLog, "AUDIT_LOG") ?? (ephemeral ? nil : "\(dataDir)/audit.log")
        let audit = try auditPath.map { try AuditLog(path: $0, key: auditKey) }
        if let line = audit?.repairedTornLine {
            logger.warning(
                "the audit log ended in a torn record (the daemon stopped mid-write); closed it",
                metadata: ["line": "\(line)", "file": "\(auditPath ?? "")"])
        }

        let recorder = ephemeral ? CallRecorder() : nil
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let metrics = ServerMetrics()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let router = Router(
            kms: kms, ssm: ssm, leases: leases, settings: settings, security: security,
            extensionToken: extensionToken, audit: audit, recorder: recorder, seed: seed,
            metrics: (metrics, registry), store: store, threadPool: threadPool,
            logger: logger)
        let credentialsHint = ephemeral ? nil : "\(dataDir)/credentials"
        let (listenAddress, socketFile) = (tcp, socketPath)
        let server = HTTPServer(
            responder: router,
            configuration: .init(
                socketPath: socketFile, tcp: listenAddress, activated: activated, limits: settings.limits),
            group: group, audit: audit, recorder: recorder, notifier: notifier, metrics: metrics, logger: logger
        ) { port in
            notifier.notify("READY=1\nSTATUS=serving\nMAINPID=\(getpid())")
            Self.announceReady(
                tcp: listenAddress.map { address in
                    var bound = address
                    bound.port = port ?? address.port
                    return bound.description
                },
                socket: activated.first(where: \.isUnix).map { "systemd (fd \($0.fd), \($0.name))" } ?? socketFile,
                credentials: credentialsHint, region: region, logger: logger)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server),
            .init(service: MaintenanceService(kms: kms, leases: leases, metrics: metrics, logger: logger)),
            .init(
                service: ConfigReloader(logger: logger, notifier: notifier) {
                    let (reloaded, config) = try loadSecurity()
                    security.replace(reloaded)
                    leases.settings = config.leases
                }),
        ]
        if let watchdog = WatchdogService(environment: environment, notifier: notifier, group: group) {
            services.append(.init(service: watchdog))
        }
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await serviceGroup.run()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()
        try await group.shutdownGracefully()
        logger.info("stopped")
    }

    /// One JSON line on stdout for scripts, then the human hint on stderr.
    static func announceReady(tcp: String?, socket: String?, credentials: String?, region: String, logger: Logger) {
        struct Ready: Encodable {
            var event = "ready"
            var pid: Int32
            var tcp: String?
            var socket: String?
        }
        // Not JSONSerialization: its sorted keys go through a Locale, which keeps ~3 MB of ICU resident.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let line = try? encoder.encode(Ready(pid: getpid(), tcp: tcp, socket: socket)) {
            FileHandle.standardOutput.write(line + Data("\n".utf8))
        }
        logger.info("ready", metadata: ["tcp": "\(tcp ?? "none")", "socket": "\(socket ?? "none")"])
        if let tcp, let credentials {
            let command =
                "AWS_SHARED_CREDENTIALS_FILE=\(credentials) aws --profile sealbox --region \(region) --endpoint-url http://\(tcp) kms list-keys"
            // A person at a terminal gets a line to paste; log collectors get a structured record.
            if isatty(STDERR_FILENO) == 1 {
                FileHandle.standardError.write(Data("sealboxd: try the AWS CLI with:\n\(command)\n".utf8))
            } else {
                logger.info("try the AWS CLI", metadata: ["command": "\(command)"])
            }
        }
    }

    /// A fresh extension token for this run, written to `path` with mode 0640 so the daemon's group
    /// (handlers) can read it.
    static func writeExtensionToken(_ path: String) throws -> SecureBytes {
        // 43 characters from a 64-letter alphabet: 258 random bits.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let random = SecureBytes.random(count: 43)
        let token = try SecureBytes(count: 43) { out in
            random.withUnsafeBytes { raw in
                for index in 0..<raw.count { out[index] = alphabet[Int(raw[index] & 63)] }
            }
        }
        try SecretFile.replace(path, contents: token, mode: 0o640, what: "the extension token file")
        return token
    }

    /// Creates the data dir (0700) if needed; returns a warning if an existing one is open to others.
    static func prepareDataDir(_ path: String) throws -> String? {
        var info = stat()
        if stat(path, &info) != 0 {
            guard mkdir(path, 0o700) == 0 else {
                throw SetupError(description: "cannot create the data dir \(path): \(String(cString: strerror(errno)))")
            }
        } else if (info.st_mode & S_IFMT) != S_IFDIR {
            throw SetupError(description: "the data dir \(path) is not a directory")
        } else if info.st_mode & 0o007 != 0 {
            // Its files are created 0600, so this is a warning, not a refusal.
            return
                "the data dir \(path) is open to others (mode \(String(info.st_mode & 0o777, radix: 8))); consider: chmod 700 \(path)"
        }
        return nil
    }
}
