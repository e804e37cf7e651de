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
import SealboxDaemon
import SealboxServer
import SealboxStore
import ServiceLifecycle

#if PostgreSQL
    import SealboxPostgres
#endif

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

    @OptionGroup var flags: DaemonFlags

    func run() async throws {
        Self.hardenProcess()
        let environment = ProcessInfo.processInfo.environment
        // Under systemd: sockets passed by activation, and the notify socket for READY/STOPPING.
        let notifier = SystemdNotifier(environment: environment)
        let activated = ActivatedSockets(environment: environment).listeners
        notifier.notify("STATUS=opening the store")
        let options = DaemonOptions(flags, environment: environment)
        try options.validate()
        // Before anything is created: a start that cannot listen leaves no data dir or root key behind.
        if let tcp = try options.tcp, !activated.contains(where: { !$0.isUnix }) {
            try Self.checkCanListen(on: tcp)
        }
        // Parsed once, before anything is logged, so start-up is logged at the configured level too.
        let config = try options.configPath.map(Self.readConfig)
        let logger = try Self.bootstrapLogging(options, level: config?.logLevel)
        Self.reportUnlockedMemory(logger)
        for warning in HostIsolation.warnings() { logger.warning("\(warning)") }

        var settings = options.serverSettings(daemonUID: getuid(), version: Self.version)
        settings.limits = config?.limits ?? ServerLimits()
        settings.extraRegions = config?.regions ?? []
        Self.raiseOpenFileLimit(for: settings.limits, logger: logger)
        let opened = try Self.openStore(options, settings: &settings, logger: logger)
        let kms = try Self.loadKeys(opened, logger: logger)
        // Created on first start, so the store always holds a secret that only the right root key opens.
        let auditKey = try kms.auditKey()
        let ssm = try SSM(store: opened.store, kms: kms)
        let secrets = try SecretsManager(store: opened.store, kms: kms)
        ssm.serveSecretReferences(from: secrets)
        // Loading builds and drops large temporaries; hand their pages back rather than carry them.
        ProcessHardening.releaseFreeMemory()
        let seed = try Self.applyFixtures(
            options.fixturesPath, kms: kms, ssm: ssm, secrets: secrets, settings: settings, logger: logger)
        let loader = SecurityLoader(options, settings: settings, accessKeys: opened.accessKeys, seed: seed)
        let security = SecurityState(try loader.settings(config))
        let leases = LeaseService(ssm: ssm, secrets: secrets, settings: (config ?? SealboxConfig()).leases)
        try options.validateRequireAuth(fixtureAccessKeys: seed?.fixtures.accessKeys.count ?? 0)
        let audit = try Self.openAuditLog(options.auditLogPath, key: auditKey, logger: logger)

        let recorder = options.ephemeral ? CallRecorder() : nil
        let storeStatus = StoreStatus()
        let served = ServedRecord()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let metrics = ServerMetrics()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let router = Router(
            kms: kms, ssm: ssm, secrets: secrets, leases: leases, settings: settings, security: security,
            extensionToken: opened.extensionToken, audit: audit, recorder: recorder, served: served, seed: seed,
            metrics: (metrics, registry), store: opened.store, storeStatus: storeStatus, threadPool: threadPool,
            logger: logger)
        let rotationHandlers = RotationHandlers(
            socketPath: options.socketPath, openTCP: options.ephemeral && !settings.requireAuth)
        secrets.setRotationHandlers(config?.rotation.handlers ?? [:])
        let rotationTimeout = Locked(config?.rotation.timeoutSeconds ?? RotationSettings().timeoutSeconds)
        let server = try Self.makeServer(
            router, options: options, activated: activated, limits: settings.limits, group: group, audit: audit,
            recorder: recorder, served: served, notifier: notifier, metrics: metrics,
            rotationHandlers: rotationHandlers,
            logger: logger)
        var services: [any Service] = [
            server,
            MaintenanceService(kms: kms, secrets: secrets, leases: leases, metrics: metrics, logger: logger),
            ParameterPolicyService(ssm: ssm, audit: audit, metrics: metrics, logger: logger),
            RotationService(
                secrets: secrets, handlers: rotationHandlers, timeout: { rotationTimeout.withLock { $0 } },
                audit: audit, metrics: metrics, logger: logger),
            ConfigReloader(logger: logger, notifier: notifier) {
                let reloaded = try options.configPath.map(Self.readConfig)
                security.replace(try loader.settings(reloaded))
                leases.settings = (reloaded ?? SealboxConfig()).leases
                secrets.setRotationHandlers(reloaded?.rotation.handlers ?? [:])
                rotationTimeout.withLock { $0 = reloaded?.rotation.timeoutSeconds ?? RotationSettings().timeoutSeconds }
            },
        ]
        if let shared = opened.store as? any SharedStore {
            services.append(
                StoreFeedService(
                    store: shared, follower: StoreFollower(kms: kms, ssm: ssm, secrets: secrets, leases: leases),
                    status: storeStatus, settings: config?.store ?? StoreSettings(), metrics: metrics, logger: logger))
        }
        if let watchdog = WatchdogService(environment: environment, notifier: notifier, group: group) {
            services.append(watchdog)
        }
        if let audit { services.append(AuditCheckpointService(audit: audit, logger: logger)) }
        do {
            try await Self.serve(services, logger: logger, thenStop: threadPool, group)
        } catch {
            Self.closeAuditLog(audit, logger: logger)
            throw error
        }
        Self.closeAuditLog(audit, logger: logger)
        logger.info("stopped")
    }

    /// Binds `address` and lets it go, so that an address in use is reported with the address and
    /// the way out, rather than as the listener's bind error after the store was made.
    static func checkCanListen(on address: ListenAddress) throws {
        guard address.port != 0 else { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(address.host, String(address.port), &hints, &found) == 0, let info = found else { return }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw SetupError(
                description:
                    "cannot listen on \(address): \(String(cString: strerror(errno))). Another process (another sealboxd?) may hold it: choose another address with --listen HOST:PORT, or --listen none for the socket alone"
            )
        }
    }

    /// Files the daemon creates (store, WAL, keys) are for its own user only, and no core dump or
    /// same-uid ptrace can read its memory; a failure of the latter is a warning.
    static func hardenProcess() {
        umask(0o077)
        // A rotation handler that exits before reading its event makes the write to its stdin fail
        // with EPIPE rather than kill the daemon. Its process gets the default back (posix_spawn).
        signal(SIGPIPE, SIG_IGN)
        if let failure = ProcessHardening.disableCoreDumps() {
            FileHandle.standardError.write(Data("sealboxd: warning: could not disable core dumps: \(failure)\n".utf8))
        }
    }

    /// Logs when guarded memory cannot be locked in RAM, from before the root key is read: at start
    /// (loading keys fills guarded memory) and whenever it happens later.
    static func reportUnlockedMemory(_ logger: Logger) {
        let limit = MemoryLocking.limitBytes.map { "\($0) bytes" } ?? "unlimited"
        MemoryLocking.observe { blocks in
            logger.error(
                "guarded memory could not be locked in RAM: keys and values may be swapped to disk; raise RLIMIT_MEMLOCK (LimitMEMLOCK= under systemd)",
                metadata: ["unlockedBlocks": "\(blocks)", "memlockLimit": "\(limit)"])
        }
    }

    /// Raises the soft open-file limit to the hard one (systemd's default soft limit is 1024), so
    /// that both listeners can hold `maxConnections` each; says so if even the hard limit cannot.
    static func raiseOpenFileLimit(for limits: ServerLimits, logger: Logger) {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        // Two listeners' connections, and the store, the log and the event loops besides.
        let needed = rlim_t(2 * limits.maxConnections + 256)
        if limit.rlim_cur < needed {
            logger.warning(
                "the open-file limit is below what two listeners of server.maxConnections need; connections beyond it are refused",
                metadata: ["limit": "\(limit.rlim_cur)", "needed": "\(needed)"])
        }
    }

    /// Reads and parses the config file, at start and on each SIGHUP.
    static func readConfig(_ path: String) throws -> SealboxConfig {
        try SealboxConfig.parse(String(contentsOfFile: path, encoding: .utf8), origin: path)
    }

    /// Sends log lines to stderr in the chosen format, at the config's level (default info).
    static func bootstrapLogging(_ options: DaemonOptions, level: String?) throws -> Logger {
        let format = try options.logFormat
        let level = level.flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: level) }
        return Logger(label: "sealboxd")
    }

    /// What ``openStore(_:settings:logger:)`` opened.
    struct OpenedStore {
        var store: any SealboxStorage
        /// Where it is, for messages.
        var location: String = "memory"
        var rootKey: SecureBytes
        /// Set when the root key lives in a file: only such a key is rotated, and recovered, by the daemon.
        var rootFile: String?
        /// From the credentials file; none for an ephemeral daemon.
        var accessKeys: [AccessKey] = []
        /// This run's extension token; none for an ephemeral daemon.
        var extensionToken: SecureBytes?
    }

    /// Opens the store under its root key: in memory under a random key for an ephemeral daemon,
    /// else in the data dir (created if missing), with the credentials and extension token files.
    static func openStore(
        _ options: DaemonOptions, settings: inout ServerSettings, logger: Logger
    ) throws -> OpenedStore {
        if options.ephemeral {
            let store = try SQLiteStore()
            return OpenedStore(store: store, rootKey: SecureBytes.random(count: Envelope.keyLength))
        }
        if let warning = try prepareDataDir(options.dataDir) { logger.warning("\(warning)") }
        let source = try options.rootKeySource
        let (key, created) = try RootKey.load(source, createIfMissing: options.createsRootKey)
        if created {
            logger.warning(
                "generated a DEVELOPMENT root key at \(options.dataFile("root.key")) (mode 0600); production should pass --root-key credential:NAME"
            )
        }
        settings.rootKeySource = source.description
        var rootFile: String? = nil
        if case .file(let path) = source {
            rootFile = path
            settings.rootKeyFile = path
        }
        let location = try options.store.map(StoreLocation.init) ?? .sqlite(path: options.dataFile("sealbox.db"))
        let store: any SealboxStorage
        switch location {
        case .sqlite(let path):
            store = try SQLiteStore(path: path, home: Scope(account: options.accountID, region: options.region))
        case .postgres(let database):
            #if PostgreSQL
                store = try PostgresStore(database, password: try options.storePassword(), logger: logger)
                logger.info("opened the shared store", metadata: ["store": "\(location)"])
            #else
                _ = database
                throw SetupError(description: "this sealboxd was built without the PostgreSQL trait")
            #endif
        }
        settings.storeLocation = location.description
        return OpenedStore(
            store: store, location: location.description, rootKey: key, rootFile: rootFile,
            accessKeys: try CredentialsFile.loadOrCreate(at: options.dataFile("credentials")),
            extensionToken: try writeExtensionToken(options.dataFile("token")))
    }

    /// Unwraps every key version, finishing or discarding a root key rotation that was interrupted.
    static func loadKeys(_ opened: OpenedStore, logger: Logger) throws -> KMS {
        do {
            let kms = try KMS(store: opened.store, rootKey: opened.rootKey)
            if let rootFile = opened.rootFile, RootKey.loadCandidate(for: rootFile) != nil {
                // A rotation stopped before its transaction: the current key is the valid one.
                RootKey.discardCandidate(for: rootFile)
                logger.warning("discarded the key of a root key rotation that did not complete")
            }
            return kms
        } catch let error as CryptoError where error.isInvalidCiphertext {
            // A rotation that committed but stopped before installing its key left the key beside it.
            guard let rootFile = opened.rootFile, let candidate = RootKey.loadCandidate(for: rootFile),
                let recovered = try? KMS(store: opened.store, rootKey: candidate)
            else {
                throw SetupError(
                    description: "the root key does not unwrap the keys in \(opened.location): wrong --root-key?")
            }
            try RootKey.promoteCandidate(for: rootFile)
            logger.warning("finished an interrupted root key rotation: \(rootFile) now holds the new key")
            return recovered
        }
    }

    /// Loads the fixtures file, if any, and applies it idempotently.
    static func applyFixtures(
        _ path: String?, kms: KMS, ssm: SSM, secrets: SecretsManager, settings: ServerSettings, logger: Logger
    ) throws -> FixtureSeed? {
        guard let path else { return nil }
        let seed = FixtureSeed(fixtures: try Fixtures.load(path), origin: path)
        let context = RequestContext(region: settings.region, accountID: settings.accountID, principal: .anonymous)
        let report = try seed.fixtures.apply(
            kms: kms, ssm: ssm, secrets: secrets, context: context, origin: seed.origin)
        logger.info(
            "applied fixtures",
            metadata: [
                "file": "\(seed.origin)", "keysCreated": "\(report.keysCreated)",
                "parametersWritten": "\(report.parametersWritten)", "secretsWritten": "\(report.secretsWritten)",
            ])
        // A reset applies them again: the keys the first apply made, not new ones.
        return FixtureSeed(fixtures: seed.fixtures.pinningKeys(in: kms, home: context.scope), origin: seed.origin)
    }

    /// Opens the audit log, if there is one, closing a record torn by a crash.
    static func openAuditLog(_ path: String?, key: SecureBytes, logger: Logger) throws -> AuditLog? {
        guard let path else { return nil }
        let audit = try AuditLog(path: path, key: key)
        if !audit.isReady {
            logger.error(
                "the audit log's run header could not be written; audited requests are refused until it is",
                metadata: ["file": "\(path)"])
        }
        if let line = audit.repairedTornLine {
            logger.warning(
                "the audit log ended in a torn record (the daemon stopped mid-write); closed it",
                metadata: ["line": "\(line)", "file": "\(path)"])
        }
        return audit
    }

    /// Writes the audit log's final checkpoint once the event loops and the pool have stopped, so no
    /// record can follow it: `audit verify` then knows the run ended whole.
    static func closeAuditLog(_ audit: AuditLog?, logger: Logger) {
        do {
            try audit?.checkpoint(final: true)
        } catch {
            logger.error("the final audit checkpoint could not be written", metadata: ["error": "\(error)"])
        }
    }

    /// The listeners, which announce readiness once bound.
    static func makeServer(
        _ router: Router,
        options: DaemonOptions,
        activated: [ActivatedSockets.Listener],
        limits: ServerLimits,
        group: MultiThreadedEventLoopGroup,
        audit: AuditLog?,
        recorder: CallRecorder?,
        served: ServedRecord,
        notifier: SystemdNotifier,
        metrics: ServerMetrics,
        rotationHandlers: RotationHandlers,
        logger: Logger
    ) throws -> HTTPServer {
        let (tcp, socketPath) = (try options.tcp, options.socketPath)
        let (credentials, region) = (options.credentialsPath, options.region)
        var configuration = HTTPServer.Configuration(
            socketPath: socketPath, tcp: tcp, activated: activated, limits: limits)
        configuration.socketMode = try options.socketPermissions
        configuration.socketGroup = try options.socketGroupID
        return HTTPServer(
            responder: router, configuration: configuration, group: group, audit: audit, recorder: recorder,
            served: served,
            notifier: notifier, metrics: metrics, rotationHandlers: rotationHandlers, logger: logger
        ) { port in
            rotationHandlers.setEndpoint(
                tcp.map { address in
                    var bound = address
                    bound.port = port ?? address.port
                    return "http://\(bound)"
                })
            notifier.notify("READY=1\nSTATUS=serving\nMAINPID=\(getpid())")
            announceReady(
                tcp: tcp.map { address in
                    var bound = address
                    bound.port = port ?? address.port
                    return bound.description
                },
                socket: activated.first(where: \.isUnix).map { "systemd (fd \($0.fd), \($0.name))" } ?? socketPath,
                credentials: credentials, region: region, logger: logger)
        }
    }

    /// Runs `services` until SIGTERM or SIGINT has shut them down gracefully, then stops the pool and
    /// the event loops, also when a service failed.
    static func serve(
        _ services: [any Service], logger: Logger, thenStop threadPool: NIOThreadPool,
        _ group: MultiThreadedEventLoopGroup
    ) async throws {
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
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
        try SecretFile.checkExisting(path, what: "the extension token file")
        try SecretFile.replace(path, contents: token, mode: 0o640, what: "the extension token file")
        return token
    }

    /// Creates the data dir (0700) if needed. An existing one must be a directory the daemon's user
    /// owns and that group and others may not write: whoever can write there can replace the socket
    /// or plant a credentials file. Returns a warning if others may read or enter it.
    static func prepareDataDir(_ path: String) throws -> String? {
        var info = stat()
        if stat(path, &info) != 0 {
            guard mkdir(path, 0o700) == 0 else {
                throw SetupError(description: "cannot create the data dir \(path): \(String(cString: strerror(errno)))")
            }
            return nil
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SetupError(description: "the data dir \(path) is not a directory")
        }
        try SecretFile.checkOwner(info, path, what: "the data dir")
        if info.st_mode & 0o007 != 0 {
            return
                "the data dir \(path) is open to others (mode \(String(info.st_mode & 0o777, radix: 8))); consider: chmod 700 \(path)"
        }
        return nil
    }
}

/// The policy and access keys for a parsed config (or none), at start and on each SIGHUP: the
/// daemon's own access keys (credentials file, fixtures) come before the config's.
struct SecurityLoader: Sendable {
    let daemonKeys: [AccessKey]
    let ephemeral: Bool
    let daemonUID: UInt32

    /// - Parameters:
    ///   - options: whether the daemon is ephemeral.
    ///   - settings: the daemon's uid, which the default policy trusts.
    ///   - accessKeys: from the credentials file.
    ///   - seed: the applied fixtures, whose access keys are added.
    init(_ options: DaemonOptions, settings: ServerSettings, accessKeys: [AccessKey], seed: FixtureSeed?) {
        daemonKeys = accessKeys + (seed?.fixtures.accessKeys ?? [])
        ephemeral = options.ephemeral
        daemonUID = settings.daemonUID
    }

    /// Reads the config's secret files and token sources. Without a config: the default policy, or none at all for an
    /// ephemeral daemon (as moto); an ephemeral daemon's config without a policy lets every
    /// authenticated caller in.
    /// - Parameter config: the parsed config file, if there is one.
    func settings(_ config: SealboxConfig?) throws -> SecuritySettings {
        let fallback: Policy? = ephemeral ? nil : .defaultPolicy(daemonUID: daemonUID)
        guard let config else { return SecuritySettings(policy: fallback, accessKeys: daemonKeys) }
        let tokens = try ExtensionTokens(config.extensionSettings, environment: ProcessInfo.processInfo.environment)
        let configured = try config.accessKeys.map { entry in
            AccessKey(
                id: entry.id,
                secret: try SecretFile.readLine(entry.secretFile, what: "the secret file of \(entry.id)"),
                principal: entry.principal, account: entry.account)
        }
        var policy = config.policy ?? fallback
        policy?.awsPrincipals = config.awsPrincipals
        return SecuritySettings(policy: policy, accessKeys: daemonKeys + configured, extensionTokens: tokens)
    }
}
