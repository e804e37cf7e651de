// Built only with the PostgreSQL trait (Package.swift).
#if PostgreSQL
    import Foundation
    import Logging
    import NIOCore
    import PostgresNIO
    import SealboxCore
    import SealboxCrypto
    import SealboxStore

    /// The shared store: one PostgreSQL database that every daemon of a fleet reads and writes.
    ///
    /// Each write is one transaction, acknowledged only once committed. It also appends what it
    /// changed to the change feed (`sealbox_changes`) and sends `NOTIFY sealbox_changes`; the other
    /// daemons apply the feed through ``catchUp()``. Writes from all daemons take one advisory lock,
    /// so feed ids commit in order and a reader that has applied id N has seen everything before it.
    ///
    /// A write that changes something another daemon changed since this one last caught up is rolled
    /// back as ``StoreError/conflict``: it was computed from memory that is now stale. The domain's
    /// writer catches up and runs it again.
    public final class PostgresStore: SealboxStorage, SharedStore {
        let session: PostgresSession
        let logger: Logger
        /// This daemon's name in the feed: its own changes are already in its memory.
        let origin = UUID().uuidString
        /// The last feed id applied here; everything at or below it is in memory.
        private let cursor = Locked<Int64>(0)
        /// Catch-ups run one at a time, so the feed is applied in order.
        private let catchingUp = Lock()
        private let follower = Locked<(@Sendable (StoreChange) throws -> Void)?>(nil)
        /// What writes that failed with the connection touched: such a write may have committed without
        /// its answer arriving, and the feed skips this daemon's own rows, so the next catch-up loads
        /// these again from the store whatever happened.
        private let uncertain = Locked<[StoreChange]>([])
        /// When this daemon last pruned the feed.
        private let lastPrune = Locked<Double>(0)

        /// The channel the feed is announced on.
        public static let channel = "sealbox_changes"
        /// The advisory lock every write transaction takes.
        static let writeLock: Int64 = 0x5EA1_B0C5
        /// The advisory lock migrations take, so daemons starting at once migrate once.
        static let migrationLock: Int64 = 0x5EA1_B0C6

        /// Connects, creates or migrates the schema, and starts the feed at its current end: what the
        /// daemon loads next already holds every change before it.
        /// - Parameters:
        ///   - location: the database.
        ///   - password: its password, if it asks for one.
        ///   - logger: where outages and reconnections are logged.
        /// - Throws: ``SetupError`` naming the server when it cannot be reached or refuses the login.
        public init(_ location: StoreLocation.PostgresLocation, password: String?, logger: Logger) throws {
            session = try PostgresSession(location, password: password, logger: logger)
            self.logger = logger
            do {
                try session.withConnection { connection in
                    try Self.migrate(connection, logger: logger)
                    let end = try Self.run(connection, "SELECT coalesce(max(id), 0)::int8 FROM sealbox_changes", logger)
                    cursor.withLock { $0 = (try? end.first?.decode(Int64.self)) ?? 0 }
                }
            } catch {
                throw SetupError(
                    description:
                        "cannot open the PostgreSQL store at \(session.target): \(PostgresSession.describe(error))"
                )
            }
        }

        /// Since when, and why, the database is unreachable; nil while it is reachable.
        public var outage: (since: Double, reason: String)? { session.outage }

        /// How many times the connection was made again after an outage.
        public var reconnects: Int { session.reconnects }

        /// Installs what applies other daemons' changes; ``catchUp()`` calls it for each, in order.
        /// - Parameter apply: loads the changed thing again, or acts on the change.
        public func follow(_ apply: @escaping @Sendable (StoreChange) throws -> Void) {
            follower.withLock { $0 = apply }
        }

        public func catchUp() throws {
            try catchingUp.withLock {
                try pruneIfDue()
                var from = cursor.withLock { $0 }
                let apply = follower.withLock { $0 }
                let feed = try session.withConnection { connection -> PostgresQueryResult in
                    try Self.run(
                        connection,
                        "SELECT pruned_upto, (SELECT coalesce(max(id), 0)::int8 FROM sealbox_changes) FROM sealbox_feed",
                        logger)
                }
                var (pruned, end): (Int64, Int64) = (0, 0)
                if let row = feed.first { (pruned, end) = try row.decode((Int64, Int64).self) }
                // Changes this daemon never applied were pruned (it was cut off for longer than the
                // feed keeps them): everything is loaded again, and the feed read on from its end.
                if from < pruned {
                    logger.warning("the change feed moved past this daemon; reloading the whole store")
                    try apply?(.everything)
                    cursor.withLock { $0 = end }
                    from = end
                }
                let rows = try session.withConnection { connection in
                    try Self.run(
                        connection,
                        """
                        SELECT id, origin, kind, account, region, name FROM sealbox_changes
                        WHERE id > \(from) ORDER BY id
                        """, logger)
                }
                for row in rows {
                    let (id, origin, kind, account, region, name) = try row.decode(
                        (Int64, String, String, String, String, String).self)
                    if origin != self.origin,
                        let change = StoreChange(
                            kind: kind, account: account, region: region, name: name)
                    {
                        do { try apply?(change) } catch {
                            // Not applied: the next catch-up tries again from here.
                            logger.error("a change from the store could not be applied", metadata: ["kind": "\(kind)"])
                            throw error
                        }
                    }
                    cursor.withLock { $0 = id }
                }
                let unsure = uncertain.withLock { list in
                    defer { list.removeAll() }
                    return list
                }
                var seen = Set<StoreChange>()
                for (index, change) in unsure.enumerated() where seen.insert(change).inserted {
                    do { try apply?(change) } catch {
                        uncertain.withLock { $0.append(contentsOf: unsure[index...]) }
                        throw error
                    }
                }
            }
        }

        /// How long the feed keeps a change: a daemon cut off for longer reloads everything.
        static let feedRetention = "1 hour"
        private static let pruneInterval = 60.0

        /// Deletes changes older than ``feedRetention``, at most once a minute, and records the
        /// highest id deleted, so that a daemon behind it knows to reload.
        private func pruneIfDue() throws {
            let now = Date().timeIntervalSince1970
            guard lastPrune.withLock({ now - $0 >= Self.pruneInterval }) else { return }
            _ = try session.withConnection { connection in
                try Self.run(
                    connection,
                    """
                    WITH gone AS (
                        DELETE FROM sealbox_changes WHERE at < now() - interval '\(unescaped: Self.feedRetention)'
                        RETURNING id)
                    UPDATE sealbox_feed SET pruned_upto = greatest(pruned_upto, (SELECT coalesce(max(id), 0) FROM gone))
                    """, logger)
            }
            lastPrune.withLock { $0 = now }
        }

        public func publish(_ change: StoreChange) throws {
            try write([change]) { _ in }
        }

        /// The last feed id applied here.
        public var appliedChange: Int64 { cursor.withLock { $0 } }

        /// Listens for the feed's announcements on a connection of its own (the shared one runs
        /// statements) until that connection ends.
        /// - Parameter announced: called once `LISTEN` is in place, for what came before it, and on
        ///   each announcement.
        public func listen(_ announced: @escaping @Sendable () async -> Void) async throws {
            let connection = try await session.connect()
            do {
                try await connection.listen(on: Self.channel) { notifications in
                    await announced()
                    for try await _ in notifications { await announced() }
                }
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        }

        public func excludingOtherWriters<R>(_ body: () -> R) -> R {
            // A session-level hold on the lock every write transaction takes: this daemon's own
            // transactions still get it (advisory locks stack within a session), the others wait.
            let held =
                (try? session.withConnection { connection in
                    try Self.run(connection, "SELECT pg_advisory_lock(\(Self.writeLock))", logger)
                }) != nil
            defer {
                if held {
                    _ = try? session.withConnection { connection in
                        try Self.run(connection, "SELECT pg_advisory_unlock(\(Self.writeLock))", logger)
                    }
                }
            }
            return body()
        }

        /// Checks that the database answers, reconnecting if an outage's backoff has passed.
        public func probe() throws {
            if session.outage != nil {
                guard session.reconnect() else {
                    throw StoreError.unavailable(session.outage?.reason ?? "unreachable")
                }
                return
            }
            try session.ping()
        }

        // MARK: Transactions

        /// Runs `body` as one transaction that also appends `changes` to the feed and announces them.
        /// - Parameters:
        ///   - changes: what the write changes; a change another daemon made to one of them since the
        ///     last catch-up makes this a ``StoreError/conflict``.
        ///   - body: the statements.
        func write(_ changes: [StoreChange], _ body: (PostgresConnection) throws -> Void) throws {
            try session.withConnection { connection in
                _ = try Self.run(connection, "BEGIN", logger)
                do {
                    _ = try Self.run(connection, "SELECT pg_advisory_xact_lock(\(Self.writeLock))", logger)
                    try checkConflicts(changes, connection)
                    try body(connection)
                    if !changes.isEmpty { try append(changes, connection) }
                    _ = try Self.run(connection, "COMMIT", logger)
                } catch {
                    // A broken connection rolls back by itself, unless it broke after COMMIT was sent; a
                    // statement sent on it would only wait for its deadline.
                    let refused = (error as? StoreError)?.isConflict == true
                    if refused || (!(error is StoreError) && !PostgresSession.isOutage(error)), !connection.isClosed {
                        _ = try? Self.run(connection, "ROLLBACK", logger)
                    } else if !refused {
                        uncertain.withLock { $0 += changes }
                    }
                    throw error
                }
            }
        }

        /// Runs changes of one kind as one transaction that announces every thing they touch.
        /// - Parameters:
        ///   - changes: the changes.
        ///   - touched: the addresses one change writes or deletes.
        ///   - kind: the feed's change for an address.
        ///   - apply: the statements of one change.
        func write<Change>(
            _ changes: [Change], touching touched: (Change) -> [Scoped<String>],
            as kind: (Scoped<String>) -> StoreChange,
            _ apply: (Change, PostgresConnection) throws -> Void
        ) throws {
            try write(changes.flatMap(touched).map(kind)) { connection in
                for change in changes { try apply(change, connection) }
            }
        }

        private func checkConflicts(_ changes: [StoreChange], _ connection: PostgresConnection) throws {
            // A revocation reads nothing from memory, so it conflicts with nothing.
            let rows = changes.filter { if case .revokeLeases = $0 { false } else { true } }.map(\.row)
            guard !rows.isEmpty else { return }
            let since = cursor.withLock { $0 }
            let found = try Self.run(
                connection,
                """
                SELECT 1 FROM sealbox_changes
                WHERE id > \(since) AND origin <> \(origin)
                  AND (kind = 'everything' OR (kind, account, region, name) IN (
                    SELECT * FROM unnest(\(rows.map(\.kind)), \(rows.map(\.account)), \(rows.map(\.region)),
                                         \(rows.map(\.name)))))
                LIMIT 1
                """, logger)
            if !found.isEmpty { throw StoreError.conflict }
        }

        private func append(_ changes: [StoreChange], _ connection: PostgresConnection) throws {
            var seen = Set<StoreChange>()
            let rows = changes.filter { seen.insert($0).inserted }.map(\.row)
            _ = try Self.run(
                connection,
                """
                INSERT INTO sealbox_changes (origin, kind, account, region, name)
                SELECT \(origin), * FROM unnest(\(rows.map(\.kind)), \(rows.map(\.account)), \(rows.map(\.region)),
                                                \(rows.map(\.name)))
                """, logger)
            _ = try Self.run(connection, "SELECT pg_notify(\(Self.channel), '')", logger)
        }

        /// Runs one statement and collects its rows.
        @discardableResult
        static func run(_ connection: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) throws
            -> PostgresQueryResult
        {
            try PostgresSession.run(connection, query, logger)
        }

        /// Runs one statement and collects its rows, on the shared connection.
        @discardableResult
        func read(_ query: PostgresQuery) throws -> PostgresQueryResult {
            try session.withConnection { connection in try Self.run(connection, query, logger) }
        }

        // MARK: Daemon secrets

        public func loadSecret(_ name: String) throws -> [UInt8]? {
            try read("SELECT wrapped FROM sealbox_secrets WHERE name = \(name)").first.map {
                Array(try $0.decode(ByteBuffer.self).readableBytesView)
            }
        }

        public func loadDaemonSecrets() throws -> [String: [UInt8]] {
            Dictionary(
                uniqueKeysWithValues: try read("SELECT name, wrapped FROM sealbox_secrets").map { row in
                    let (name, wrapped) = try row.decode((String, ByteBuffer).self)
                    return (name, Array(wrapped.readableBytesView))
                })
        }

        public func saveSecret(_ name: String, _ wrapped: [UInt8]) throws {
            try write([]) { connection in
                try Self.run(
                    connection,
                    """
                    INSERT INTO sealbox_secrets (name, wrapped) VALUES (\(name), \(ByteBuffer(bytes: wrapped)))
                    ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped
                    """, logger)
            }
        }

        public func rewrapUnderNewRoot(
            versions: [(key: KeyAddress, version: UInt32, wrapped: [UInt8])], secrets: [String: [UInt8]]
        ) throws {
            try write([.everything]) { connection in
                for entry in versions {
                    let result = try Self.run(
                        connection,
                        """
                        UPDATE kms_key_versions SET wrapped = \(ByteBuffer(bytes: entry.wrapped))
                        WHERE key_id = \(entry.key.name.description) AND account = \(entry.key.scope.account)
                          AND region = \(entry.key.scope.region) AND version = \(Int64(entry.version))
                        """, logger)
                    guard result.metadata.rows == 1 else {
                        throw SetupError(
                            description:
                                "key \(entry.key.name) (\(entry.key.scope)) version \(entry.version) is not in the store"
                        )
                    }
                }
                for (name, wrapped) in secrets {
                    try Self.run(
                        connection,
                        "UPDATE sealbox_secrets SET wrapped = \(ByteBuffer(bytes: wrapped)) WHERE name = \(name)",
                        logger)
                }
            }
        }
    }
#endif
