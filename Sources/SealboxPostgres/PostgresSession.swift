// Built only with the PostgreSQL trait (Package.swift).
#if PostgreSQL
    import Foundation
    import Logging
    import NIOCore
    import NIOPosix
    import NIOSSL
    import PostgresNIO
    import SealboxCore
    import SealboxCrypto
    import SealboxStore

    /// One connection to PostgreSQL, used one call at a time, for the store's synchronous protocol.
    ///
    /// Every call blocks its thread (never an event loop: the store is called from the thread pool and
    /// from services, as the SQLite store is). A failed connection is an outage: calls fail at once with
    /// ``StoreError/unavailable(_:)`` until the next attempt, which backs off from 50 ms to 2 s.
    final class PostgresSession: Sendable {
        private struct State {
            var connection: PostgresConnection?
            /// Set while the store is unreachable: since when, and why.
            var outage: (since: Double, reason: String)?
            var retryAt: Double = 0
            var backoff: Double = PostgresSession.firstBackoff
            var reconnects = 0
        }

        static let firstBackoff = 0.05
        static let maxBackoff = 2.0

        let configuration: PostgresConnection.Configuration
        let target: String
        private let group: MultiThreadedEventLoopGroup
        private let logger: Logger
        private let state = Locked(State())
        /// The shared connection, readable without ``state``'s lock (which a hung statement may hold),
        /// so that an outage seen elsewhere can close it and fail that statement at once.
        private let current = Locked<PostgresConnection?>(nil)

        /// - Parameters:
        ///   - location: the database.
        ///   - password: its password, if it asks for one.
        ///   - logger: where outages and reconnections are logged.
        init(_ location: StoreLocation.PostgresLocation, password: String?, logger: Logger) throws {
            let tls: PostgresConnection.Configuration.TLS
            switch location.sslMode {
            case "disable": tls = .disable
            default:
                let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                tls = location.sslMode == "require" ? .require(context) : .prefer(context)
            }
            var configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: password,
                database: location.database, tls: tls)
            configuration.options.connectTimeout = .seconds(2)
            self.configuration = configuration
            target = "\(location.host):\(location.port)"
            group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            self.logger = logger
        }

        deinit {
            let connection = state.withLock { $0.connection }
            try? connection?.close().wait()
            try? group.syncShutdownGracefully()
        }

        /// A new connection of its own, for `LISTEN`.
        func connect() async throws -> PostgresConnection {
            try await attempt(id: 2).get()
        }

        /// Since when, and why, the store is unreachable; nil while it is reachable. Kept apart from
        /// the connection's lock, which a statement holds, so that health checks never wait on one.
        var outage: (since: Double, reason: String)? { published.withLock { $0 } }
        private let published = Locked<(since: Double, reason: String)?>(nil)

        /// How many times the connection was made again after an outage.
        var reconnects: Int { state.withLock { $0.reconnects } }

        /// Runs `body` on the connection, connecting first if there is none and no outage.
        ///
        /// During an outage a call fails at once: only ``reconnect()`` (the daemon's watcher, every
        /// quarter second) tries the server again, so no request waits on a connection attempt.
        /// - Parameter body: the statements; they run one after another on one connection.
        /// - Throws: ``StoreError/unavailable(_:)`` when the database cannot be reached or the connection
        ///   broke; what `body` threw otherwise.
        func withConnection<R>(_ body: (PostgresConnection) throws -> R) throws -> R {
            // Fails at once during an outage, even while a hung statement holds the connection.
            if let outage = self.outage { throw StoreError.unavailable(outage.reason) }
            return try state.withLock { state in
                if state.connection?.isClosed == true { markDown(&state, reason: "the connection closed") }
                if let outage = state.outage { throw StoreError.unavailable(outage.reason) }
                let connection: PostgresConnection
                if let open = state.connection {
                    connection = open
                } else {
                    do { connection = try open() } catch {
                        markDown(&state, reason: Self.describe(error))
                        throw StoreError.unavailable(state.outage?.reason ?? "unreachable")
                    }
                    state.connection = connection
                    current.withLock { $0 = connection }
                }
                do {
                    return try body(connection)
                } catch let error as StoreError {
                    throw error
                } catch {
                    guard Self.isOutage(error) || connection.isClosed else { throw error }
                    markDown(&state, reason: Self.describe(error))
                    throw StoreError.unavailable(state.outage?.reason ?? "connection lost")
                }
            }
        }

        /// During an outage, once its backoff has passed, connects again without holding up the
        /// calls that meanwhile fail at once.
        /// - Returns: whether the store is reachable now.
        @discardableResult
        func reconnect() -> Bool {
            let now = Date().timeIntervalSince1970
            guard let outage = self.outage else { return true }
            guard state.withLock({ now >= $0.retryAt }) else { return false }
            do {
                let connection = try open()
                state.withLock { state in
                    state.connection = connection
                    current.withLock { $0 = connection }
                    state.outage = nil
                    state.backoff = Self.firstBackoff
                    state.reconnects += 1
                    published.withLock { $0 = nil }
                }
                logger.info(
                    "store reconnected", metadata: ["store": "\(target)", "downSeconds": "\(Int(now - outage.since))"])
                return true
            } catch {
                state.withLock { markDown(&$0, reason: Self.describe(error)) }
                return false
            }
        }

        /// The statement each connection waits on, so that an outage seen on another connection can
        /// end that wait at once: a server killed mid-statement may leave it unanswered.
        private static let inFlight = Locked<[ObjectIdentifier: EventLoopPromise<PostgresQueryResult>]>([:])

        /// Fails the statement the connection waits on, if any.
        static func abandonStatement(on connection: PostgresConnection, _ reason: String) {
            inFlight.withLock { $0[ObjectIdentifier(connection)] }?.fail(StoreError.unavailable(reason))
        }

        /// How long a connection attempt, startup and login included, may take: postgres-nio's own
        /// timeout covers the TCP connect only, and a dying server can accept and never answer.
        static let connectTimeout = TimeAmount.seconds(3)
        /// How long one statement may take before its connection is closed as broken.
        static let statementTimeout = TimeAmount.seconds(10)

        private func open() throws -> PostgresConnection {
            try attempt(id: 1).wait()
        }

        /// A connection attempt that fails after ``connectTimeout``.
        private func attempt(id: Int) -> EventLoopFuture<PostgresConnection> {
            let loop = group.next()
            let attempt = PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger)
            let result = loop.makePromise(of: PostgresConnection.self)
            let timer = loop.scheduleTask(in: Self.connectTimeout) {
                result.fail(
                    StoreError.unavailable("no answer within \(Self.connectTimeout.nanoseconds / 1_000_000_000) s"))
                // A connection that completes after all is not used: close it.
                attempt.whenSuccess { connection in connection.close().whenComplete { _ in _ = connection } }
            }
            attempt.whenComplete { outcome in
                timer.cancel()
                result.completeWith(outcome)
            }
            return result.futureResult
        }

        /// Runs one statement and collects its rows; a statement that hangs closes its connection,
        /// which fails it as an outage.
        static func run(_ connection: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) throws
            -> PostgresQueryResult
        {
            // Our own promise: whatever the connection's state, the wait ends by the deadline, or as
            // soon as an outage is seen elsewhere (``abandonStatement(on:)``).
            let result = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
            let key = ObjectIdentifier(connection)
            inFlight.withLock { $0[key] = result }
            let timer = connection.eventLoop.scheduleTask(in: statementTimeout) {
                result.fail(
                    StoreError.unavailable(
                        "no answer to a statement within \(statementTimeout.nanoseconds / 1_000_000_000) s"))
                connection.close().whenComplete { _ in _ = connection }
            }
            connection.query(query, logger: logger).whenComplete { outcome in
                timer.cancel()
                result.completeWith(outcome)
            }
            defer { inFlight.withLock { _ = $0.removeValue(forKey: key) } }
            return try result.futureResult.wait()
        }

        /// Records an outage unless one is recorded. - Returns: whether this call recorded it.
        private func publish(_ since: Double, _ reason: String) -> Bool {
            published.withLock { outage in
                guard outage == nil else { return false }
                outage = (since, reason)
                return true
            }
        }

        /// Checks the server on a connection of its own, so a statement that holds the shared one
        /// cannot delay it; a failure is an outage, and closing the shared connection fails that
        /// statement rather than leave it waiting on a server that is gone.
        func ping() throws {
            do {
                let connection = try open()
                defer { connection.close().whenComplete { _ in _ = connection } }
                _ = try Self.run(connection, "SELECT 1", logger)
            } catch {
                let reason = Self.describe(error)
                if publish(Date().timeIntervalSince1970, reason) {
                    logger.warning("store unreachable", metadata: ["store": "\(target)", "reason": "\(reason)"])
                }
                if let connection = current.withLock({ $0 }) {
                    Self.abandonStatement(on: connection, reason)
                    connection.close().whenComplete { _ in _ = connection }
                }
                throw StoreError.unavailable(reason)
            }
        }

        private func markDown(_ state: inout State, reason: String) {
            let now = Date().timeIntervalSince1970
            // The callback keeps the connection until it has closed: postgres-nio requires it.
            if let connection = state.connection { connection.close().whenComplete { _ in _ = connection } }
            state.connection = nil
            current.withLock { $0 = nil }
            if state.outage == nil {
                state.outage = published.withLock { $0 } ?? (now, reason)
                if publish(now, reason) {
                    logger.warning("store unreachable", metadata: ["store": "\(target)", "reason": "\(reason)"])
                }
            } else {
                state.backoff = min(state.backoff * 2, Self.maxBackoff)
            }
            state.retryAt = now + state.backoff
        }

        /// Whether an error means the database cannot be reached, rather than that a statement failed.
        static func isOutage(_ error: any Error) -> Bool {
            guard let error = error as? PSQLError else { return true }
            guard error.code == .server else { return true }
            // Connection exceptions (08) and operator intervention, such as a shutdown (57P).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")
        }

        /// An error in words for logs and `/health`: the server's message or the failure's kind, never a credential.
        static func describe(_ error: any Error) -> String {
            if let error = error as? PSQLError {
                if let message = error.serverInfo?[.message] { return message }
                if let underlying = error.underlying { return "\(error.code): \(underlying)" }
                return "\(error.code)"
            }
            return "\(error)"
        }
    }
#endif
