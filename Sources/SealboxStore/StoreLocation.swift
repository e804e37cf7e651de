import Foundation
import SealboxCore

/// Where a daemon's store lives: `sqlite:PATH` (one host) or `postgres://USER@HOST:PORT/DB` (one
/// database that many daemons share). A password never appears in the URL, so never in argv: it
/// comes from `PGPASSWORD`, a password file or a systemd credential.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// A PostgreSQL database and how to reach it.
    public struct PostgresLocation: Sendable, Equatable {
        public var user: String
        public var host: String
        public var port: Int
        public var database: String
        /// `disable`, `prefer` or `require`, as libpq names them.
        public var sslMode: String
    }

    /// Parses a store URL.
    /// - Parameter text: `sqlite:PATH` or `postgres://USER@HOST[:PORT]/DB[?sslmode=MODE]`.
    /// - Throws: ``SetupError`` naming what is wrong.
    public init(_ text: String) throws {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw SetupError(description: "--store sqlite:PATH needs a path") }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let url = URLComponents(string: text), let host = url.host, !host.isEmpty
        else {
            throw SetupError(
                description: "--store takes sqlite:PATH or postgres://USER@HOST:PORT/DB, not \(Self.redacted(text))")
        }
        guard url.password == nil else {
            throw SetupError(
                description:
                    "--store must not hold a password (it would show in the process list); use PGPASSWORD, "
                    + "--store-password-file or a systemd credential")
        }
        guard let user = url.user, !user.isEmpty else {
            throw SetupError(description: "--store \(Self.redacted(text)) names no user: postgres://USER@HOST:PORT/DB")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty, !database.contains("/") else {
            throw SetupError(description: "--store \(text) names no database: postgres://USER@HOST:PORT/DB")
        }
        var sslMode = "prefer"
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode", let value = item.value else {
                throw SetupError(description: "--store: unknown query parameter \(item.name); only sslmode is taken")
            }
            guard ["disable", "prefer", "require"].contains(value) else {
                throw SetupError(description: "--store: sslmode is disable, prefer or require, not \(value)")
            }
            sslMode = value
        }
        self = .postgres(
            PostgresLocation(user: user, host: host, port: url.port ?? 5432, database: database, sslMode: sslMode))
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let p): "postgres://\(p.user)@\(p.host):\(p.port)/\(p.database)?sslmode=\(p.sslMode)"
        }
    }

    /// The text with anything between `://` and `@` hidden, for error messages.
    private static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", range: scheme.upperBound..<text.endIndex)
        else { return text }
        return text[..<scheme.upperBound] + "…" + text[at.lowerBound...]
    }
}
