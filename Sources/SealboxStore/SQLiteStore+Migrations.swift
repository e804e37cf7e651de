import Foundation
import GRDB
import SealboxCore
import SealboxCrypto

// The schema, one migration per change, each in its own transaction; a migration once shipped never
// changes.
extension SQLiteStore {
    static func migrator(home: Scope) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-kms") { db in
            try db.execute(
                sql: """
                    CREATE TABLE kms_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        record TEXT NOT NULL
                    );
                    CREATE TABLE kms_key_versions (
                        key_id TEXT NOT NULL REFERENCES kms_keys(id) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        wrapped BLOB NOT NULL,
                        created REAL NOT NULL,
                        rotation_type TEXT NOT NULL,
                        PRIMARY KEY (key_id, version)
                    );
                    CREATE TABLE kms_aliases (
                        name TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL REFERENCES kms_keys(id) ON DELETE CASCADE,
                        created REAL NOT NULL,
                        updated REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2-ssm") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameters (
                        name TEXT PRIMARY KEY NOT NULL,
                        tags TEXT NOT NULL
                    );
                    CREATE TABLE ssm_parameter_versions (
                        name TEXT NOT NULL REFERENCES ssm_parameters(name) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        value BLOB NOT NULL,
                        PRIMARY KEY (name, version)
                    );
                    """)
        }
        migrator.registerMigration("v3-ssm-columns") { db in
            // Metadata in columns: decoding one JSON record per version dominated startup.
            try db.execute(
                sql: """
                    ALTER TABLE ssm_parameter_versions ADD COLUMN type TEXT NOT NULL DEFAULT 'String';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN key_id TEXT;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN description TEXT;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN allowed_pattern TEXT;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN tier TEXT NOT NULL DEFAULT 'Standard';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN data_type TEXT NOT NULL DEFAULT 'text';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN modified REAL NOT NULL DEFAULT 0;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN modified_by TEXT NOT NULL DEFAULT '';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN context_arn TEXT;
                    UPDATE ssm_parameter_versions SET
                        type = json_extract(record, '$.type'),
                        key_id = json_extract(record, '$.keyId'),
                        description = json_extract(record, '$.description'),
                        allowed_pattern = json_extract(record, '$.allowedPattern'),
                        tier = json_extract(record, '$.tier'),
                        data_type = json_extract(record, '$.dataType'),
                        modified = json_extract(record, '$.modified'),
                        modified_by = json_extract(record, '$.modifiedBy'),
                        labels = json_extract(record, '$.labels'),
                        context_arn = json_extract(record, '$.contextArn'),
                        record = '';
                    """)
        }
        migrator.registerMigration("v4-ssm-clustered") { db in
            // Clustered by (name, version) and without the emptied JSON column: start-up reads the
            // versions in key order, which is now the table's own order instead of an index walk.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameter_versions_v4 (
                        name TEXT NOT NULL REFERENCES ssm_parameters(name) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        key_id TEXT,
                        description TEXT,
                        allowed_pattern TEXT,
                        tier TEXT NOT NULL,
                        data_type TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        context_arn TEXT,
                        value BLOB NOT NULL,
                        PRIMARY KEY (name, version)
                    ) WITHOUT ROWID;
                    INSERT INTO ssm_parameter_versions_v4
                        SELECT name, version, type, key_id, description, allowed_pattern, tier, data_type, modified,
                               modified_by, labels, context_arn, value
                        FROM ssm_parameter_versions;
                    DROP TABLE ssm_parameter_versions;
                    ALTER TABLE ssm_parameter_versions_v4 RENAME TO ssm_parameter_versions;
                    """)
        }
        migrator.registerMigration("v5-secrets") { db in
            // Daemon secrets (the audit MAC key) wrapped under the root key, so they survive its rotation.
            try db.execute(
                sql: "CREATE TABLE sealbox_secrets (name TEXT PRIMARY KEY NOT NULL, wrapped BLOB NOT NULL)")
        }
        migrator.registerMigration("v6-ssm-tagged") { db in
            // Start-up reads the few tagged parameters; without this it scans every row for them.
            try db.execute(sql: "CREATE INDEX ssm_parameters_tagged ON ssm_parameters(name) WHERE tags <> '[]'")
        }
        migrator.registerMigration("v7-ssm-sealed-in") { db in
            // A SecureString's encryption context is its own name's ARN, built at each read: only the
            // region and account it was sealed in are stored. A stored ARN that was not the row's own
            // (a value copied from another parameter's row) leaves no binding, and the value never opens.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameter_versions_v7 (
                        name TEXT NOT NULL REFERENCES ssm_parameters(name) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        key_id TEXT,
                        description TEXT,
                        allowed_pattern TEXT,
                        tier TEXT NOT NULL,
                        data_type TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        sealed_region TEXT,
                        sealed_account TEXT,
                        value BLOB NOT NULL,
                        PRIMARY KEY (name, version)
                    ) WITHOUT ROWID;
                    INSERT INTO ssm_parameter_versions_v7
                        SELECT name, version, type, key_id, description, allowed_pattern, tier, data_type, modified,
                               modified_by, labels, NULL, NULL, value
                        FROM ssm_parameter_versions;
                    """)
            let sealed = try Row.fetchCursor(
                db, sql: "SELECT name, version, context_arn FROM ssm_parameter_versions WHERE context_arn IS NOT NULL")
            while let row = try sealed.next() {
                let name: String = row["name"]
                guard let scope = ParameterName.sealedIn(arn: row["context_arn"], name: name) else { continue }
                try db.execute(
                    sql: """
                        UPDATE ssm_parameter_versions_v7 SET sealed_region = ?, sealed_account = ?
                        WHERE name = ? AND version = ?
                        """,
                    arguments: [scope.region, scope.account, name, row["version"] as Int])
            }
            try db.execute(
                sql: """
                    DROP TABLE ssm_parameter_versions;
                    ALTER TABLE ssm_parameter_versions_v7 RENAME TO ssm_parameter_versions;
                    """)
        }
        migrator.registerMigration("v8-kms-grants") { db in
            // Grants are read whole at start and looked up in memory, so each is one JSON record.
            try db.execute(
                sql: """
                    CREATE TABLE kms_grants (
                        id TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL REFERENCES kms_keys(id) ON DELETE CASCADE,
                        record TEXT NOT NULL
                    );
                    CREATE INDEX kms_grants_key ON kms_grants(key_id);
                    """)
        }
        migrator.registerMigration("v9-kms-scoped") { db in
            // Keys, aliases and grants belong to an account and region; a multi-Region key has one id
            // in several. What was stored before goes to the daemon's home scope.
            try db.execute(
                sql: """
                    CREATE TABLE kms_keys_v9 (
                        id TEXT NOT NULL,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        record TEXT NOT NULL,
                        PRIMARY KEY (id, account, region)
                    );
                    CREATE TABLE kms_key_versions_v9 (
                        key_id TEXT NOT NULL,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        wrapped BLOB NOT NULL,
                        created REAL NOT NULL,
                        rotation_type TEXT NOT NULL,
                        PRIMARY KEY (key_id, account, region, version),
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys(id, account, region)
                            ON DELETE CASCADE
                    );
                    CREATE TABLE kms_aliases_v9 (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        created REAL NOT NULL,
                        updated REAL NOT NULL,
                        PRIMARY KEY (account, region, name),
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys(id, account, region)
                            ON DELETE CASCADE
                    );
                    CREATE TABLE kms_grants_v9 (
                        id TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        record TEXT NOT NULL,
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys(id, account, region)
                            ON DELETE CASCADE
                    );
                    INSERT INTO kms_keys_v9
                        SELECT id, :account, :region,
                               json_set(record, '$.scope', json_object('account', :account, 'region', :region))
                        FROM kms_keys;
                    INSERT INTO kms_key_versions_v9
                        SELECT key_id, :account, :region, version, wrapped, created, rotation_type FROM kms_key_versions;
                    INSERT INTO kms_aliases_v9 SELECT :account, :region, name, key_id, created, updated FROM kms_aliases;
                    INSERT INTO kms_grants_v9
                        SELECT id, key_id, :account, :region, json_set(record, '$.account', :account, '$.region', :region)
                        FROM kms_grants;
                    DROP TABLE kms_grants;
                    DROP TABLE kms_aliases;
                    DROP TABLE kms_key_versions;
                    DROP TABLE kms_keys;
                    ALTER TABLE kms_keys_v9 RENAME TO kms_keys;
                    ALTER TABLE kms_key_versions_v9 RENAME TO kms_key_versions;
                    ALTER TABLE kms_aliases_v9 RENAME TO kms_aliases;
                    ALTER TABLE kms_grants_v9 RENAME TO kms_grants;
                    CREATE INDEX kms_grants_key ON kms_grants(key_id, account, region);
                    """,
                arguments: ["account": home.account, "region": home.region])
        }
        migrator.registerMigration("v10-ssm-service-settings") { db in
            // Only settings changed from their defaults are stored; a reset deletes the row.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_service_settings (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        setting_id TEXT NOT NULL,
                        value TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        PRIMARY KEY (account, region, setting_id)
                    )
                    """)
        }
        migrator.registerMigration("v11-ssm-parameter-policies") { db in
            // NULL for the many versions without policies.
            try db.execute(sql: "ALTER TABLE ssm_parameter_versions ADD COLUMN policies TEXT")
        }
        migrator.registerMigration("v12-ssm-scoped") { db in
            // Parameters belong to an account and region, as keys do. What was stored before goes to
            // the daemon's home scope; public parameters (`/aws/service/...`) to its region and no
            // account.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameters_v12 (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        tags TEXT NOT NULL,
                        PRIMARY KEY (account, region, name)
                    ) WITHOUT ROWID;
                    CREATE TABLE ssm_parameter_versions_v12 (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        key_id TEXT,
                        description TEXT,
                        allowed_pattern TEXT,
                        tier TEXT NOT NULL,
                        data_type TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        sealed_region TEXT,
                        sealed_account TEXT,
                        value BLOB NOT NULL,
                        policies TEXT,
                        PRIMARY KEY (account, region, name, version),
                        FOREIGN KEY (account, region, name) REFERENCES ssm_parameters_v12(account, region, name)
                            ON DELETE CASCADE
                    ) WITHOUT ROWID;
                    INSERT INTO ssm_parameters_v12
                        SELECT CASE WHEN substr(name, 1, 13) = '/aws/service/' AND length(name) > 13 THEN '' ELSE :account END, :region, name, tags
                        FROM ssm_parameters;
                    INSERT INTO ssm_parameter_versions_v12
                        SELECT CASE WHEN substr(name, 1, 13) = '/aws/service/' AND length(name) > 13 THEN '' ELSE :account END, :region, name, version,
                               type, key_id, description, allowed_pattern, tier, data_type, modified, modified_by,
                               labels, sealed_region, sealed_account, value, policies
                        FROM ssm_parameter_versions;
                    DROP TABLE ssm_parameter_versions;
                    DROP TABLE ssm_parameters;
                    ALTER TABLE ssm_parameters_v12 RENAME TO ssm_parameters;
                    ALTER TABLE ssm_parameter_versions_v12 RENAME TO ssm_parameter_versions;
                    CREATE INDEX ssm_parameters_tagged ON ssm_parameters(account, region, name) WHERE tags <> '[]';
                    """,
                arguments: ["account": home.account, "region": home.region])
        }
        migrator.registerMigration("v13-ssm-resource-policies") { db in
            // NULL for the many parameters that are not shared; start-up reads the few through the index.
            try db.execute(
                sql: """
                    ALTER TABLE ssm_parameters ADD COLUMN resource_policies TEXT;
                    CREATE INDEX ssm_parameters_shared ON ssm_parameters(account, region, name)
                        WHERE resource_policies IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v14-secrets") { db in
            // A version's value is an envelope v2 token, never plaintext.
            try db.execute(
                sql: """
                    CREATE TABLE secrets (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        metadata TEXT NOT NULL,
                        PRIMARY KEY (account, region, name)
                    ) WITHOUT ROWID;
                    CREATE TABLE secret_versions (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        version_id TEXT NOT NULL,
                        stages TEXT NOT NULL,
                        created REAL NOT NULL,
                        is_binary INTEGER NOT NULL,
                        value BLOB NOT NULL,
                        PRIMARY KEY (account, region, name, version_id),
                        FOREIGN KEY (account, region, name) REFERENCES secrets(account, region, name) ON DELETE CASCADE
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }
}
