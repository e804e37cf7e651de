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
            try await PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: 2, logger: logger
            ).get()
        }

        /// Since when, and why, the store is unreachable; nil while it is reachable.
        var outage: (since: Double, reason: String)? { state.withLock { $0.outage } }

        /// How many times the connection was made again after an outage.
        var reconnects: Int { state.withLock { $0.reconnects } }

        /// Runs `body` on the connection, connecting first if needed.
        /// - Parameter body: the statements; they run one after another on one connection.
        /// - Throws: ``StoreError/unavailable(_:)`` when the database cannot be reached or the connection
        ///   broke; what `body` threw otherwise.
        func withConnection<R>(_ body: (PostgresConnection) throws -> R) throws -> R {
            try state.withLock { state in
                let connection = try connected(&state)
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

        private func connected(_ state: inout State) throws -> PostgresConnection {
            if let connection = state.connection, !connection.isClosed { return connection }
            state.connection = nil
            let now = Date().timeIntervalSince1970
            if let outage = state.outage, now < state.retryAt { throw StoreError.unavailable(outage.reason) }
            do {
                let connection = try PostgresConnection.connect(
                    on: group.next(), configuration: configuration, id: 1, logger: logger
                ).wait()
                state.connection = connection
                if let outage = state.outage {
                    state.reconnects += 1
                    logger.info(
                        "store reconnected",
                        metadata: ["store": "\(target)", "downSeconds": "\(Int(now - outage.since))"])
                }
                state.outage = nil
                state.backoff = Self.firstBackoff
                return connection
            } catch {
                markDown(&state, reason: Self.describe(error))
                throw StoreError.unavailable(state.outage?.reason ?? "unreachable")
            }
        }

        private func markDown(_ state: inout State, reason: String) {
            let now = Date().timeIntervalSince1970
            if let connection = state.connection { connection.close().whenComplete { _ in } }
            state.connection = nil
            if state.outage == nil {
                state.outage = (now, reason)
                logger.warning("store unreachable", metadata: ["store": "\(target)", "reason": "\(reason)"])
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
