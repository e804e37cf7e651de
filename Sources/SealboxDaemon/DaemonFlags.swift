import ArgumentParser

/// The daemon's flags as given on the command line, before the `SEALBOX_<NAME>` variables and the
/// defaults are applied (``DaemonOptions`` does that).
package struct DaemonFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "SQLite store, root key file and credentials file. [env: SEALBOX_DATA_DIR]", valueName: "path"))
    package var dataDir: String?

    @Option(
        help: ArgumentHelp(
            "Unix socket, created mode 0660. Default <data-dir>/sealbox.sock. [env: SEALBOX_SOCKET]", valueName: "path")
    )
    package var socket: String?

    @Option(
        help: ArgumentHelp(
            "Group that owns the Unix socket, so a handler user in it may connect (the daemon must be root or a member). [env: SEALBOX_SOCKET_GROUP]",
            valueName: "name"))
    package var socketGroup: String?

    @Option(
        help: ArgumentHelp(
            "The Unix socket's mode, in octal. Default 0660: the daemon's user and the socket group. [env: SEALBOX_SOCKET_MODE]",
            valueName: "mode"))
    package var socketMode: String?

    @Option(
        help: ArgumentHelp(
            "Loopback TCP listener, or 'none'. Default 127.0.0.1:2773, or 127.0.0.1:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT. [env: SEALBOX_LISTEN]",
            valueName: "host:port"))
    package var listen: String?

    @Flag(help: "Allow a non-loopback --listen address. [env: SEALBOX_ALLOW_REMOTE]")
    package var allowRemote = false

    @Option(
        help: ArgumentHelp(
            "file:PATH, env:NAME (base64) or credential:NAME. Default file:<data-dir>/root.key. [env: SEALBOX_ROOT_KEY]",
            valueName: "source"))
    package var rootKey: String?

    @Option(
        help: ArgumentHelp(
            "Policy, access keys and lease limits (YAML); reloaded on SIGHUP. [env: SEALBOX_CONFIG]", valueName: "path")
    )
    package var config: String?

    @Option(
        help: ArgumentHelp(
            "sqlite:PATH (default sqlite:<data-dir>/sealbox.db) or postgres://USER@HOST:PORT/DB?sslmode=MODE, a database many daemons share. No password in the URL. [env: SEALBOX_STORE]",
            valueName: "url"))
    package var store: String?

    @Option(
        help: ArgumentHelp(
            "A file, or credential:NAME (systemd), holding the PostgreSQL password; else PGPASSWORD. [env: SEALBOX_STORE_PASSWORD_FILE]",
            valueName: "path"))
    package var storePasswordFile: String?

    @Option(
        help: ArgumentHelp(
            "Append-only, hash-chained JSON lines; - for stderr. Default <data-dir>/audit.log (none with --ephemeral). [env: SEALBOX_AUDIT_LOG]",
            valueName: "path"))
    package var auditLog: String?

    @Flag(
        help:
            "In-memory store and random root key; nothing is written to disk. For test suites. [env: SEALBOX_EPHEMERAL]"
    )
    package var ephemeral = false

    @Option(
        help: ArgumentHelp(
            "Keys, aliases, parameters and access keys to apply at start (YAML or JSON), idempotently; an ephemeral daemon's reset returns to them. [env: SEALBOX_FIXTURES]",
            valueName: "path"))
    package var fixtures: String?

    @Option(
        help: ArgumentHelp(
            "Log lines on stderr as logfmt or json; the level comes from the config's logging.level (default info). [env: SEALBOX_LOG_FORMAT]",
            valueName: "format"))
    package var logFormat: String?

    @Flag(
        help:
            "With --ephemeral, still verify SigV4 on TCP, against the access keys in --config. [env: SEALBOX_REQUIRE_AUTH]"
    )
    package var requireAuth = false

    @Option(help: ArgumentHelp("The account in ARNs. [env: SEALBOX_ACCOUNT_ID]", valueName: "id"))
    package var accountId: String?

    @Option(
        help: ArgumentHelp(
            "The default region; a signed request's credential scope overrides it. [env: SEALBOX_REGION]",
            valueName: "name"))
    package var region: String?

    package init() {}
}
