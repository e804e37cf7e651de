import ArgumentParser
import Foundation
import NIOPosix
import SealboxAPI
import SealboxClient

/// `make bench`'s PostgreSQL part: the same daemon on a PostgreSQL store beside one on SQLite, measured
/// in the same run, plus what only a shared store has (a change reaching another daemon).
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measures sealboxd on a PostgreSQL store beside sealboxd on SQLite.",
        discussion: """
            Hot path: lease redeem, extension GET and KMS Decrypt over the Unix socket, a daemon on \
            PostgreSQL and one on SQLite (one root key, the same --seed parameters and the same things \
            created in each) taking turns in --rounds rounds; the row shows the round with the median \
            PostgreSQL/SQLite ratio. Writes: PutParameter (Overwrite, a String, over 1,000 names) \
            measured the same way. Propagation: a second daemon on the same database; --changes overwrites acknowledged by the first, each \
            timed until a tight GetParameter loop on the second answers the new value. Start-up: \
            --parameters parameters written through a daemon on SQLite, copied with `sealbox store copy` \
            into a new PostgreSQL database, then --starts starts of each, timed to a 200 from /health.

            Every database it uses is created on the server named by --postgres (CREATE DATABASE, through \
            psql) and dropped at the end; the URL's user must be allowed to create databases.

            Example: sealbox-bench store --sealboxd .build/release/sealboxd \
            --postgres 'postgres://sealbox@127.0.0.1:5432/sealbox?sslmode=disable' --json store.json
            """
    )

    @Option(help: "The sealboxd binary.")
    var sealboxd: String

    @Option(help: "The sealbox CLI, for `sealbox store copy`. Default: beside --sealboxd.")
    var sealbox: String?

    @Option(help: "A PostgreSQL server: postgres://USER@HOST:PORT/DB?sslmode=... Default: $SEALBOX_TEST_POSTGRES.")
    var postgres: String?

    @Option(help: "Seconds measured per row and daemon, split over the rounds, each after a warm-up of a third.")
    var duration = 3.0

    @Option(help: "Rounds per row, the two daemons taking turns.")
    var rounds = 7

    @Option(help: "Parameters written into both daemons' stores before the throughput rows, the same in each.")
    var seed = 1_000

    @Option(help: "Concurrent keep-alive connections for the throughput rows.")
    var connections = 32

    @Option(help: "Changes timed from one daemon to the other.")
    var changes = 1_000

    @Option(help: "Parameters in the stores whose start-up is timed; 0 skips that part.")
    var parameters = 100_000

    @Option(help: "Starts of each store.")
    var starts = 5

    @Option(help: "Where to write the figures as JSON (`sealbox-bench report --store` reads them).")
    var json: String?

    /// One workload on both stores.
    struct Row: Codable {
        var workload: String
        var connections: Int
        var sqlite: Stats
        var postgres: Stats
        /// PostgreSQL's req/s over SQLite's in the median round.
        var ratio: Double
        /// Every round's ratio.
        var roundRatios: [Double]
    }

    /// Overwrites made on one daemon, each timed until the other daemon answers the new value.
    struct Propagation: Codable {
        var changes: Int
        /// From the writer's acknowledgement to the first read on the other daemon that shows the value.
        var p50Millis: Double
        var p99Millis: Double
        var maxMillis: Double
        /// The acknowledged PutParameter on the writing daemon, one at a time.
        var writeP50Millis: Double
        var writeMaxMillis: Double
    }

    /// Start to a healthy `/health` on the same parameters in each store.
    struct Startup: Codable {
        var parameters: Int
        var seedSeconds: Double
        var copySeconds: Double
        var sqliteStartSeconds: Double
        var sqliteStartRangeSeconds: [Double]
        var postgresStartSeconds: Double
        var postgresStartRangeSeconds: [Double]
        var sqliteRSSKiB: Int
        var postgresRSSKiB: Int
    }

    /// What a run measured, as `--json` writes it.
    struct Figures: Codable {
        var hotPath: [Row]
        var putParameter: Row
        var propagation: Propagation
        var startup: Startup?
    }

    /// The hot-path workloads, whose figures must not depend on the store.
    static let hotPath: [Workload] = [.redeem, .extensionGet, .decrypt]

    func run() async throws {
        guard let server = postgres ?? ProcessInfo.processInfo.environment["SEALBOX_TEST_POSTGRES"] else {
            throw ValidationError("--postgres or SEALBOX_TEST_POSTGRES must name a PostgreSQL server")
        }
        let databases = try PostgresDatabases(server: server)
        let scratch = NSTemporaryDirectory() + "sealbox-store-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let figures = try await measure(scratch: scratch, databases: databases, group: group)
            try await group.shutdownGracefully()
            ChildProcess.stopAll()
            databases.dropAll()
            try? FileManager.default.removeItem(atPath: scratch)
            if let json {
                try writeJSON(figures, to: json)
                say("\nwrote \(json)")
            }
        } catch {
            ChildProcess.stopAll()
            databases.dropAll()
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
    }

    private func measure(
        scratch: String, databases: PostgresDatabases, group: MultiThreadedEventLoopGroup
    ) async throws -> Figures {
        let live = try databases.create("live")
        // The SQLite daemon makes the root key; every other daemon is given it, as a fleet is.
        let sqlite = try Daemon(sealboxd, scratch: scratch, name: "sqlite", store: nil, rootKey: nil)
        let rootKey = "file:\(scratch)/sqlite/root.key"
        let primary = try Daemon(sealboxd, scratch: scratch, name: "pg-a", store: live, rootKey: rootKey)
        try await primary.healthy(group: group)
        for daemon in [sqlite, primary] {
            try await Seed.seed(socket: daemon.socket, count: seed, connections: 8)
        }

        say("PostgreSQL store beside SQLite, Unix socket, \(connections) connections, \(rounds) rounds")
        say(
            "workload         sqlite req/s   p50 µs   p99 µs  cpu µs | postgres req/s   p50 µs   p99 µs  cpu µs | pg/sqlite"
        )
        var hotRows: [Row] = []
        for workload in Self.hotPath {
            let onSQLite = try await Self.prepare(workload, on: sqlite, group: group)
            let onPostgres = try await Self.prepare(workload, on: primary, group: group)
            hotRows.append(
                try await compare(
                    workload.rawValue, sqlite: (sqlite, onSQLite), postgres: (primary, onPostgres), group: group))
        }
        let writes = try (0..<1000).map { index in
            try aws(
                "AmazonSSM.PutParameter",
                [
                    "Name": "/sealbox-bench/put/\(index)", "Value": String(repeating: "w", count: 32),
                    "Type": "String", "Overwrite": true,
                ])
        }
        let put: @Sendable (Int) -> RequestSpec = { writes[$0 % writes.count] }
        let putRow = try await compare(
            Workload.putParameter.rawValue, sqlite: (sqlite, put), postgres: (primary, put), group: group)
        sqlite.stop()

        let secondary = try Daemon(sealboxd, scratch: scratch, name: "pg-b", store: live, rootKey: rootKey)
        try await secondary.healthy(group: group)
        let propagation = try await propagate(from: primary, to: secondary, group: group)
        primary.stop()
        secondary.stop()

        let startup =
            parameters > 0
            ? try await startUp(scratch: scratch, rootKey: rootKey, databases: databases, group: group) : nil
        return Figures(hotPath: hotRows, putParameter: putRow, propagation: propagation, startup: startup)
    }

    /// Creates what `workload` reads on `daemon`; returns its request.
    static func prepare(
        _ workload: Workload, on daemon: Daemon, group: MultiThreadedEventLoopGroup
    ) async throws -> @Sendable (Int) -> RequestSpec {
        let setup = try await SealboxConnection.connect(to: daemon.endpoint, group: group)
        try await putBenchSecret(setup)
        let spec: RequestSpec
        switch workload {
        case .redeem:
            let lease = try await createLease(
                setup, CreateLeaseRequest(name: "/sealbox-bench/secret", ttlSeconds: 3600))
            spec = RequestSpec(method: .post, path: NativePath.redeem(lease.leaseId), headers: [], body: [])
        case .extensionGet:
            spec = RequestSpec(method: .get, path: benchExtensionPath, headers: [], body: [])
        case .decrypt:
            spec = try aws(
                "TrentService.Decrypt", ["CiphertextBlob": try await createBenchKey(setup, "sealbox-bench").blob])
        default:
            throw BenchError(description: "\(workload.rawValue) is not a hot-path workload")
        }
        await setup.close()
        return { _ in spec }
    }

    /// One row: the two daemons take turns, each measured for a slice of --duration a round.
    private func compare(
        _ workload: String,
        sqlite: (daemon: Daemon, request: @Sendable (Int) -> RequestSpec),
        postgres: (daemon: Daemon, request: @Sendable (Int) -> RequestSpec),
        group: MultiThreadedEventLoopGroup
    ) async throws -> Row {
        let slice = duration / Double(max(rounds, 1))
        let count = connections
        func run(_ side: (daemon: Daemon, request: @Sendable (Int) -> RequestSpec)) async throws -> Stats {
            let process = side.daemon.process
            return try await LoadRunner.measure(
                endpoint: side.daemon.endpoint, connections: count, warmup: slice / 3, duration: slice, group: group,
                cpuSeconds: { process.cpuSeconds }, request: side.request)
        }
        var pairs: [(sqlite: Stats, postgres: Stats)] = []
        for round in 0..<max(rounds, 1) {
            // Turns alternate, so that neither daemon always runs right after the other.
            if round % 2 == 0 {
                let first = try await run(sqlite)
                pairs.append((first, try await run(postgres)))
            } else {
                let first = try await run(postgres)
                pairs.append((try await run(sqlite), first))
            }
        }
        let ratios = pairs.map { $0.postgres.requestsPerSecond / max($0.sqlite.requestsPerSecond, 1) }
        let median = ratios.indices.sorted { ratios[$0] < ratios[$1] }[ratios.count / 2]
        let (onSQLite, onPostgres) = pairs[median]
        say(
            String(
                format: "%@ %13.0f %8.0f %8.0f %7.1f | %14.0f %8.0f %8.0f %7.1f | %9.3f",
                workload.padding(toLength: 15, withPad: " ", startingAt: 0),
                onSQLite.requestsPerSecond, onSQLite.p50Micros, onSQLite.p99Micros, onSQLite.cpuMicrosPerRequest,
                onPostgres.requestsPerSecond, onPostgres.p50Micros, onPostgres.p99Micros,
                onPostgres.cpuMicrosPerRequest, ratios[median]))
        return Row(
            workload: workload, connections: count, sqlite: onSQLite, postgres: onPostgres, ratio: ratios[median],
            roundRatios: ratios)
    }

    /// Overwrites one parameter on `writer` --changes times; after each acknowledgement, reads it on
    /// `reader` back to back until the new value shows.
    private func propagate(
        from writer: Daemon, to reader: Daemon, group: MultiThreadedEventLoopGroup
    ) async throws -> Propagation {
        let name = "/sealbox-bench/propagation"
        let writing = try await SealboxConnection.connect(to: writer.endpoint, group: group)
        let reading = try await SealboxConnection.connect(to: reader.endpoint, group: group)
        let read = Array(try JSONSerialization.data(withJSONObject: ["Name": name]))
        let run = UUID().uuidString.prefix(8)
        var seen: [Duration] = []
        var written: [Duration] = []
        // Change -1 makes the parameter, untimed, so that every timed change is an overwrite.
        for index in -1..<changes {
            let value = "change-\(run)-\(index)"
            let sent = ContinuousClock.now
            try await call(
                writing, "AmazonSSM.PutParameter", ["Name": name, "Value": value, "Type": "String", "Overwrite": true])
            let acknowledged = ContinuousClock.now
            while true {
                let response = try await reading.request(
                    .post, NativePath.aws, headers: [("X-Amz-Target", "AmazonSSM.GetParameter")], body: read)
                // Until the first change arrives, the other daemon answers ParameterNotFound.
                if response.status == 200,
                    let body = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                    let parameter = body["Parameter"] as? [String: Any], parameter["Value"] as? String == value
                {
                    break
                }
                if ContinuousClock.now - acknowledged > .seconds(30) {
                    throw BenchError(description: "change \(index) did not reach the other daemon within 30 s")
                }
            }
            if index >= 0 {
                seen.append(ContinuousClock.now - acknowledged)
                written.append(acknowledged - sent)
            }
        }
        await writing.close()
        await reading.close()
        func millis(_ sorted: [Duration], _ p: Double) -> Double {
            sorted.isEmpty ? 0 : Scale.seconds(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) * 1000
        }
        seen.sort()
        written.sort()
        let figures = Propagation(
            changes: seen.count, p50Millis: millis(seen, 0.5), p99Millis: millis(seen, 0.99),
            maxMillis: millis(seen, 1), writeP50Millis: millis(written, 0.5), writeMaxMillis: millis(written, 1))
        say(
            String(
                format:
                    "\npropagation, %d changes from one daemon to another on the same database: p50 %.2f ms, p99 %.2f ms, max %.2f ms (the write itself: p50 %.2f ms, max %.2f ms)",
                figures.changes, figures.p50Millis, figures.p99Millis, figures.maxMillis, figures.writeP50Millis,
                figures.writeMaxMillis))
        return figures
    }

    /// --parameters written through a daemon on SQLite, copied into a new PostgreSQL database; each
    /// store started --starts times, in turns.
    private func startUp(
        scratch: String, rootKey: String, databases: PostgresDatabases, group: MultiThreadedEventLoopGroup
    ) async throws -> Startup {
        let seeder = try Daemon(sealboxd, scratch: scratch, name: "seed", store: nil, rootKey: rootKey)
        let seeding = ContinuousClock.now
        try await Seed.seed(socket: seeder.socket, count: parameters, connections: 8)
        let seedTime = ContinuousClock.now - seeding
        seeder.stop()
        let target = try databases.create("copy")
        let copying = ContinuousClock.now
        try runTool(
            sealbox
                ?? URL(fileURLWithPath: sealboxd).deletingLastPathComponent().appendingPathComponent("sealbox").path,
            ["store", "copy", "--from", "sqlite:\(scratch)/seed/sealbox.db", "--to", target, "--output", "json"],
            scratch: scratch)
        let copyTime = ContinuousClock.now - copying
        say(
            String(
                format: "\n%d parameters: written through SQLite in %.1f s, copied into PostgreSQL in %.1f s",
                parameters,
                Scale.seconds(seedTime), Scale.seconds(copyTime)))

        var sqliteStarts: [Double] = []
        var postgresStarts: [Double] = []
        var rss = (sqlite: 0, postgres: 0)
        for attempt in 0..<max(starts, 1) {
            for onPostgres in attempt % 2 == 0 ? [false, true] : [true, false] {
                let started = ContinuousClock.now
                let daemon = try Daemon(
                    sealboxd, scratch: scratch, name: onPostgres ? "pg-start" : "seed",
                    store: onPostgres ? target : nil,
                    rootKey: rootKey, waitForReady: false)
                let healthy = Scale.seconds(try await Scale.untilHealthy(daemon.socket, group: group, since: started))
                if onPostgres {
                    postgresStarts.append(healthy)
                    rss.postgres = daemon.process.rssKiB
                } else {
                    sqliteStarts.append(healthy)
                    rss.sqlite = daemon.process.rssKiB
                }
                daemon.stop()
            }
        }
        sqliteStarts.sort()
        postgresStarts.sort()
        let startup = Startup(
            parameters: parameters, seedSeconds: Scale.seconds(seedTime), copySeconds: Scale.seconds(copyTime),
            sqliteStartSeconds: sqliteStarts[sqliteStarts.count / 2],
            sqliteStartRangeSeconds: [sqliteStarts.first!, sqliteStarts.last!],
            postgresStartSeconds: postgresStarts[postgresStarts.count / 2],
            postgresStartRangeSeconds: [postgresStarts.first!, postgresStarts.last!], sqliteRSSKiB: rss.sqlite,
            postgresRSSKiB: rss.postgres)
        say(
            String(
                format:
                    "start to healthy, median of %d: SQLite %.3f s (%.3f to %.3f), RSS %.1f MiB; PostgreSQL %.3f s (%.3f to %.3f), RSS %.1f MiB",
                sqliteStarts.count, startup.sqliteStartSeconds, sqliteStarts.first!, sqliteStarts.last!,
                Double(rss.sqlite) / 1024, startup.postgresStartSeconds, postgresStarts.first!, postgresStarts.last!,
                Double(rss.postgres) / 1024))
        return startup
    }

    /// Runs a tool to its end; its output is shown only if it fails.
    private func runTool(_ executable: String, _ arguments: [String], scratch: String) throws {
        let output = scratch + "/\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        try process.run()
        while process.isRunning { usleep(10_000) }
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw BenchError(description: "\(executable) \(arguments.prefix(2).joined(separator: " ")) failed: \(text)")
        }
    }
}

/// A sealboxd on its own data folder and socket, on SQLite (the data folder's) or a PostgreSQL URL.
final class Daemon: Sendable {
    let process: ChildProcess
    let socket: String
    var endpoint: SealboxEndpoint { .unixSocket(path: socket) }

    /// - Parameters:
    ///   - sealboxd: the binary.
    ///   - scratch: the folder the data folder is made in.
    ///   - name: the data folder's name; the same name is the same SQLite store.
    ///   - store: a `postgres://` URL, or nil for the data folder's SQLite file.
    ///   - rootKey: a `file:PATH` root key, or nil for the data folder's (made at the first start).
    ///   - waitForReady: whether to wait for the ready line.
    init(
        _ sealboxd: String, scratch: String, name: String, store: String?, rootKey: String?,
        waitForReady: Bool = true
    ) throws {
        let data = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        socket = scratch + "/\(name).sock"
        var arguments = ["--data-dir", data, "--listen", "none", "--socket", socket]
        if let store { arguments += ["--store", store] }
        if let rootKey { arguments += ["--root-key", rootKey] }
        process = try ChildProcess(sealboxd, arguments, scratch: scratch)
        if waitForReady { _ = try process.ready() }
    }

    /// Waits for `/health` to answer 200: on PostgreSQL, the store is reachable and caught up.
    func healthy(group: MultiThreadedEventLoopGroup) async throws {
        _ = try await Scale.untilHealthy(socket, group: group, since: .now)
    }

    func stop() { process.stop() }
}

/// Databases made for one run on a PostgreSQL server, through psql, and dropped at its end.
final class PostgresDatabases: @unchecked Sendable {
    private let server: URLComponents
    private let prefix = "sealbox_bench_\(UUID().uuidString.prefix(8).lowercased())"
    private var made: [String] = []

    /// - Parameter server: a `postgres://` URL whose user may create databases.
    init(server: String) throws {
        guard let components = URLComponents(string: server), components.scheme == "postgres",
            components.password == nil
        else {
            throw ValidationError("--postgres must be postgres://USER@HOST:PORT/DB (a password comes from PGPASSWORD)")
        }
        self.server = components
    }

    /// Creates a database; returns its URL.
    func create(_ suffix: String) throws -> String {
        let name = prefix + "_" + suffix
        try psql("CREATE DATABASE \(name)")
        made.append(name)
        var url = server
        url.path = "/" + name
        return url.string!
    }

    /// Drops every database made, whatever still holds a connection to it.
    func dropAll() {
        for name in made { try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        made = []
    }

    private func psql(_ statement: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", server.string!, "-c", statement]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        while process.isRunning { usleep(10_000) }
        guard process.terminationStatus == 0 else { throw BenchError(description: "psql: \(statement) failed") }
    }
}
