import ArgumentParser
import Foundation
import SealboxCore
import SealboxServer

/// The daemon's settings, merged once from its flags and `SEALBOX_<NAME>` variables (a flag wins)
/// over the defaults. Values that must parse are kept as given and read through throwing properties,
/// which ``validate()`` tries in the order the daemon always has; their errors are usage errors
/// (exit code 64).
package struct DaemonOptions: Sendable, Equatable {
    /// The variables that switch a flag on, compared without case.
    private static let trueWords: Set<String> = ["1", "true", "yes"]

    /// Store, root key file, credentials file, token file and socket. Default `./.sealbox`.
    package var dataDir: String
    /// `--socket` as given; see ``socketPath``.
    package var socket: String?
    /// `--socket-group` as given; see ``socketGroupID``.
    package var socketGroup: String?
    /// `--socket-mode` as given, in octal; see ``socketPermissions``.
    package var socketMode: String?
    /// `HOST:PORT` or `none`; see ``tcp``. Default `127.0.0.1:2773`, or `127.0.0.1:` and
    /// ``extensionPort``.
    package var listen: String
    /// `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` (the Lambda extension's port, which handlers read
    /// too) when it gives ``listen``: neither `--listen` nor `SEALBOX_LISTEN` is set.
    package var extensionPort: String?
    /// A non-loopback ``listen`` is allowed.
    package var allowRemote: Bool
    /// `--root-key` as given; see ``rootKeySource``.
    package var rootKey: String?
    /// The config file (YAML), if any.
    package var configPath: String?
    /// `--store` as given: a store URL; nil for the SQLite file in the data dir.
    package var store: String?
    /// `--store-password-file` as given; see ``storePassword()``.
    package var storePasswordFile: String?
    private var storePasswordVariable: String?
    private var credentialsDirectory: String?
    /// `--audit-log` as given; see ``auditLogPath``.
    package var auditLog: String?
    /// In-memory store and random root key; nothing is written to disk.
    package var ephemeral: Bool
    /// The fixtures file applied at start, if any.
    package var fixturesPath: String?
    /// `logfmt` or `json`; see ``logFormat``. Default `logfmt`.
    package var logFormatName: String
    /// With ``ephemeral``, still verify SigV4 on TCP.
    package var requireAuth: Bool
    /// The account in ARNs: 12 digits. Default `123456789012`.
    package var accountID: String
    /// The default region. Default `us-east-1`.
    package var region: String

    /// Applies the environment and the defaults to `flags`.
    /// - Parameters:
    ///   - flags: the command line; a flag given there wins over its variable.
    ///   - environment: the process environment, read for `SEALBOX_<NAME>`.
    package init(_ flags: DaemonFlags, environment: [String: String]) {
        func setting(_ value: String?, _ name: String) -> String? { value ?? environment["SEALBOX_\(name)"] }
        func flag(_ value: Bool, _ name: String) -> Bool {
            value || Self.trueWords.contains(environment["SEALBOX_\(name)"]?.lowercased() ?? "")
        }
        dataDir = setting(flags.dataDir, "DATA_DIR") ?? "./.sealbox"
        socket = setting(flags.socket, "SOCKET")
        socketGroup = setting(flags.socketGroup, "SOCKET_GROUP")
        socketMode = setting(flags.socketMode, "SOCKET_MODE")
        let listen = setting(flags.listen, "LISTEN")
        extensionPort = listen == nil ? environment["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] : nil
        self.listen = listen ?? extensionPort.map { "127.0.0.1:\($0)" } ?? "127.0.0.1:2773"
        allowRemote = flag(flags.allowRemote, "ALLOW_REMOTE")
        rootKey = setting(flags.rootKey, "ROOT_KEY")
        configPath = setting(flags.config, "CONFIG")
        store = setting(flags.store, "STORE")
        storePasswordFile = setting(flags.storePasswordFile, "STORE_PASSWORD_FILE")
        storePasswordVariable = environment["PGPASSWORD"]
        credentialsDirectory = environment["CREDENTIALS_DIRECTORY"]
        auditLog = setting(flags.auditLog, "AUDIT_LOG")
        ephemeral = flag(flags.ephemeral, "EPHEMERAL")
        fixturesPath = setting(flags.fixtures, "FIXTURES")
        logFormatName = setting(flags.logFormat, "LOG_FORMAT") ?? "logfmt"
        requireAuth = flag(flags.requireAuth, "REQUIRE_AUTH")
        accountID = setting(flags.accountId, "ACCOUNT_ID") ?? Scope.home.account
        region = setting(flags.region, "REGION") ?? Scope.home.region
    }

    /// Refuses options that cannot work together, with the flag to fix. Files are not read: whether
    /// the fixtures hold access keys is checked by ``validateRequireAuth(fixtureAccessKeys:)``.
    package func validate() throws {
        _ = try logFormat
        _ = try tcp
        _ = try socketPermissions
        _ = try socketGroupID
        guard Scope.isAccountID(accountID) else {
            throw ValidationError("--account-id must be 12 digits")
        }
        guard Scope.isRegionName(region) else {
            throw ValidationError("--region must be a region name: 1 to 32 lowercase letters, digits and -")
        }
        // An ephemeral daemon uses a random root key and never reads this one.
        if !ephemeral { _ = try rootKeySource }
        if ephemeral, store != nil {
            throw ValidationError("--ephemeral keeps everything in memory: leave out --store")
        }
        try checkRequireAuth(keysBesidesConfig: fixturesPath != nil)
    }

    /// The PostgreSQL password: from `--store-password-file` (a file, or `credential:NAME` in
    /// systemd's credentials directory), else `PGPASSWORD`; nil when neither is set. A trailing
    /// newline is not part of it.
    package func storePassword() throws -> String? {
        guard let file = storePasswordFile else { return storePasswordVariable }
        var path = file
        if file.hasPrefix("credential:") {
            guard let directory = credentialsDirectory else {
                throw ValidationError(
                    "--store-password-file \(file): CREDENTIALS_DIRECTORY is not set (not under systemd?)")
            }
            path = directory + "/" + file.dropFirst("credential:".count)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--store-password-file: cannot read \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    /// Refuses `--require-auth` when neither the config nor the fixtures give access keys.
    /// - Parameter fixtureAccessKeys: how many access keys the fixtures file holds.
    package func validateRequireAuth(fixtureAccessKeys: Int) throws {
        try checkRequireAuth(keysBesidesConfig: fixtureAccessKeys > 0)
    }

    private func checkRequireAuth(keysBesidesConfig: Bool) throws {
        guard requireAuth else { return }
        guard ephemeral, configPath != nil || keysBesidesConfig else {
            throw ValidationError(
                "--require-auth goes with --ephemeral and access keys, from a --config or from --fixtures")
        }
    }

    /// The log line format.
    package var logFormat: StructuredLogHandler.Format {
        get throws {
            guard let format = StructuredLogHandler.Format(rawValue: logFormatName) else {
                throw ValidationError("--log-format is logfmt or json")
            }
            return format
        }
    }

    /// The Unix socket's mode: `--socket-mode` in octal (at most 0777), default 0660.
    package var socketPermissions: UInt16 {
        get throws {
            guard let socketMode else { return 0o660 }
            guard let mode = UInt16(socketMode, radix: 8), mode <= 0o777 else {
                throw ValidationError("--socket-mode must be an octal mode such as 0660, not '\(socketMode)'")
            }
            return mode
        }
    }

    /// The group `--socket-group` names (a name, or a number), or nil to keep the daemon's.
    package var socketGroupID: UInt32? {
        get throws {
            guard let socketGroup else { return nil }
            if let gid = UInt32(socketGroup) { return gid }
            guard let gid = SystemGroups.id(of: socketGroup) else {
                throw ValidationError("--socket-group: no group named '\(socketGroup)'")
            }
            return gid
        }
    }

    /// The TCP listener, or nil for `none`; a non-loopback one only with ``allowRemote``.
    package var tcp: ListenAddress? {
        get throws {
            if let extensionPort,
                !extensionPort.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
                    || !(Int(extensionPort).map { (1...65535).contains($0) } ?? false)
            {
                throw ValidationError(
                    "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT must be a port number (1-65535), not '\(extensionPort)'")
            }
            guard listen != "none" else { return nil }
            guard let address = ListenAddress(listen) else {
                throw ValidationError("--listen must be HOST:PORT or none, not '\(listen)'")
            }
            guard address.isLoopback || allowRemote else {
                throw ValidationError(
                    "--listen \(listen) is not a loopback address; pass --allow-remote to expose Sealbox beyond this host"
                )
            }
            return address
        }
    }

    /// Where the root key comes from. Default `file:<data-dir>/root.key`.
    package var rootKeySource: RootKeySource {
        get throws {
            guard let source = RootKeySource(rootKey ?? "file:\(dataFile("root.key"))") else {
                throw ValidationError("--root-key must be file:PATH, env:NAME or credential:NAME")
            }
            return source
        }
    }

    /// Only the default root key file is created when missing; a named source must exist.
    package var createsRootKey: Bool { rootKey == nil }

    /// The Unix socket: `--socket`, else `<data-dir>/sealbox.sock`, or none for an ephemeral daemon.
    package var socketPath: String? { socket ?? (ephemeral ? nil : dataFile("sealbox.sock")) }

    /// The audit log (`-` for stderr): `--audit-log`, else `<data-dir>/audit.log`, or none for an
    /// ephemeral daemon.
    package var auditLogPath: String? { auditLog ?? (ephemeral ? nil : dataFile("audit.log")) }

    /// The access keys file, which an ephemeral daemon does not have.
    package var credentialsPath: String? { ephemeral ? nil : dataFile("credentials") }

    /// A file in the data dir.
    /// - Parameter name: the file's name.
    package func dataFile(_ name: String) -> String { "\(dataDir)/\(name)" }

    /// The server's view of these options; the root key and the limits are filled in later.
    /// - Parameters:
    ///   - daemonUID: the daemon's uid, which the default policy trusts.
    ///   - version: the version `/health` reports.
    package func serverSettings(daemonUID: UInt32, version: String) -> ServerSettings {
        var settings = ServerSettings(
            accountID: accountID, region: region, ephemeral: ephemeral, daemonUID: daemonUID, version: version)
        settings.requireAuth = requireAuth
        settings.allowRemote = allowRemote
        return settings
    }
}
