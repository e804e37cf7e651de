// Built only with the PostgreSQL trait (Package.swift).
#if PostgreSQL
    import Logging
    import PostgresNIO
    import SealboxCore
    import SealboxStore

    // The schema, versioned: each migration runs once, in order, in a transaction that records it. The
    // tables follow the SQLite store's, so `sealbox store copy` moves rows as they are.
    extension PostgresStore {
        static let migrations: [(id: String, sql: [String])] = [
            (
                "v1-schema",
                [
                    """
                    CREATE TABLE kms_keys (
                        id text NOT NULL, account text NOT NULL, region text NOT NULL, record text NOT NULL,
                        PRIMARY KEY (id, account, region))
                    """,
                    """
                    CREATE TABLE kms_key_versions (
                        key_id text NOT NULL, account text NOT NULL, region text NOT NULL, version bigint NOT NULL,
                        wrapped bytea NOT NULL, created double precision NOT NULL, rotation_type text NOT NULL,
                        PRIMARY KEY (key_id, account, region, version),
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys (id, account, region) ON DELETE CASCADE)
                    """,
                    """
                    CREATE TABLE kms_aliases (
                        account text NOT NULL, region text NOT NULL, name text NOT NULL, key_id text NOT NULL,
                        created double precision NOT NULL, updated double precision NOT NULL,
                        PRIMARY KEY (account, region, name),
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys (id, account, region) ON DELETE CASCADE)
                    """,
                    """
                    CREATE TABLE kms_grants (
                        id text PRIMARY KEY, key_id text NOT NULL, account text NOT NULL, region text NOT NULL,
                        record text NOT NULL,
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys (id, account, region) ON DELETE CASCADE)
                    """,
                    "CREATE INDEX kms_grants_key ON kms_grants (key_id, account, region)",
                    "CREATE TABLE sealbox_secrets (name text PRIMARY KEY, wrapped bytea NOT NULL)",
                    """
                    CREATE TABLE ssm_parameters (
                        account text NOT NULL, region text NOT NULL, name text COLLATE "C" NOT NULL, tags text NOT NULL,
                        resource_policies text, PRIMARY KEY (account, region, name))
                    """,
                    """
                    CREATE TABLE ssm_parameter_versions (
                        account text NOT NULL, region text NOT NULL, name text COLLATE "C" NOT NULL,
                        version bigint NOT NULL, type text NOT NULL, key_id text, description text, allowed_pattern text,
                        tier text NOT NULL, data_type text NOT NULL, modified double precision NOT NULL,
                        modified_by text NOT NULL, labels text NOT NULL, sealed_region text, sealed_account text,
                        value bytea NOT NULL, policies text,
                        PRIMARY KEY (account, region, name, version),
                        FOREIGN KEY (account, region, name) REFERENCES ssm_parameters (account, region, name)
                            ON DELETE CASCADE)
                    """,
                    """
                    CREATE TABLE ssm_service_settings (
                        account text NOT NULL, region text NOT NULL, setting_id text NOT NULL, value text NOT NULL,
                        modified double precision NOT NULL, modified_by text NOT NULL,
                        PRIMARY KEY (account, region, setting_id))
                    """,
                    """
                    CREATE TABLE secrets (
                        account text NOT NULL, region text NOT NULL, name text NOT NULL, metadata text NOT NULL,
                        PRIMARY KEY (account, region, name))
                    """,
                    """
                    CREATE TABLE secret_versions (
                        account text NOT NULL, region text NOT NULL, name text NOT NULL, version_id text NOT NULL,
                        stages text NOT NULL, created double precision NOT NULL, is_binary boolean NOT NULL,
                        value bytea NOT NULL,
                        PRIMARY KEY (account, region, name, version_id),
                        FOREIGN KEY (account, region, name) REFERENCES secrets (account, region, name) ON DELETE CASCADE)
                    """,
                    // The change feed: what each write changed, in commit order (writes take one advisory lock).
                    """
                    CREATE TABLE sealbox_changes (
                        id bigserial PRIMARY KEY, origin text NOT NULL, kind text NOT NULL, account text NOT NULL,
                        region text NOT NULL, name text NOT NULL, at timestamptz NOT NULL DEFAULT now())
                    """,
                ]
            ),
            (
                "v2-feed-pruning",
                [
                    // The highest feed id deleted by pruning: a daemon whose last applied id is below it reloads.
                    "CREATE TABLE sealbox_feed (pruned_upto bigint NOT NULL)",
                    "INSERT INTO sealbox_feed VALUES (0)",
                    "CREATE INDEX sealbox_changes_at ON sealbox_changes (at)",
                ]
            ),
        ]

        /// Applies the migrations not yet applied, holding an advisory lock so that daemons starting at
        /// once wait for each other instead of creating the same tables twice.
        static func migrate(_ connection: PostgresConnection, logger: Logger) throws {
            try run(connection, "SELECT pg_advisory_lock(\(migrationLock))", logger)
            defer { _ = try? run(connection, "SELECT pg_advisory_unlock(\(migrationLock))", logger) }
            try run(
                connection,
                "CREATE TABLE IF NOT EXISTS sealbox_migrations (id text PRIMARY KEY, applied timestamptz NOT NULL)",
                logger)
            let applied = Set(
                try run(connection, "SELECT id FROM sealbox_migrations", logger).map { try $0.decode(String.self) })
            for migration in migrations where !applied.contains(migration.id) {
                try run(connection, "BEGIN", logger)
                do {
                    for statement in migration.sql { try run(connection, PostgresQuery(unsafeSQL: statement), logger) }
                    try run(connection, "INSERT INTO sealbox_migrations VALUES (\(migration.id), now())", logger)
                    try run(connection, "COMMIT", logger)
                } catch {
                    _ = try? run(connection, "ROLLBACK", logger)
                    throw error
                }
                logger.info("store migrated", metadata: ["migration": "\(migration.id)"])
            }
        }
    }
#endif
