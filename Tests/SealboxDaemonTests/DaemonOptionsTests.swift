import ArgumentParser
import SealboxCore
import SealboxDaemon
import SealboxServer
import Testing

@Suite struct DaemonOptionsTests {
    private func options(_ arguments: [String] = [], _ environment: [String: String] = [:]) throws -> DaemonOptions {
        DaemonOptions(try DaemonFlags.parse(arguments), environment: environment)
    }

    /// The message `validate()` refuses with, or nil when it accepts.
    private func refusal(_ arguments: [String], _ environment: [String: String] = [:]) throws -> String? {
        do {
            try options(arguments, environment).validate()
            return nil
        } catch let error as ValidationError {
            return error.message
        }
    }

    @Test func defaultsWithoutFlagsOrVariables() throws {
        let options = try options()
        #expect(options.dataDir == "./.sealbox")
        #expect(options.listen == "127.0.0.1:2773")
        #expect(try options.tcp == ListenAddress("127.0.0.1:2773"))
        #expect(options.accountID == "123456789012")
        #expect(options.region == "us-east-1")
        #expect(try options.logFormat == .logfmt)
        #expect(try options.rootKeySource == .file("./.sealbox/root.key"))
        #expect(options.createsRootKey)
        #expect(options.socketPath == "./.sealbox/sealbox.sock")
        #expect(options.auditLogPath == "./.sealbox/audit.log")
        #expect(options.credentialsPath == "./.sealbox/credentials")
        #expect(options.configPath == nil && options.fixturesPath == nil)
        #expect(!options.ephemeral && !options.requireAuth && !options.allowRemote)
        try options.validate()
    }

    @Test func variablesFillUnsetFlagsAndFlagsWin() throws {
        let environment = [
            "SEALBOX_DATA_DIR": "/var/lib/sealbox", "SEALBOX_REGION": "eu-west-1", "SEALBOX_ACCOUNT_ID": "000000000000",
            "SEALBOX_CONFIG": "/etc/sealbox/config.yaml", "SEALBOX_LOG_FORMAT": "json",
        ]
        let options = try options(["--region", "ap-south-1", "--log-format", "logfmt"], environment)
        #expect(options.dataDir == "/var/lib/sealbox")
        #expect(options.accountID == "000000000000")
        #expect(options.configPath == "/etc/sealbox/config.yaml")
        #expect(options.region == "ap-south-1")
        #expect(options.logFormatName == "logfmt")
        #expect(options.socketPath == "/var/lib/sealbox/sealbox.sock")
    }

    @Test(arguments: [("1", true), ("TRUE", true), ("yes", true), ("0", false), ("no", false), ("", false)])
    func switchVariables(_ value: String, _ on: Bool) throws {
        let options = try options([], ["SEALBOX_EPHEMERAL": value, "SEALBOX_ALLOW_REMOTE": value])
        #expect(options.ephemeral == on)
        #expect(options.allowRemote == on)
    }

    @Test func theExtensionsPortVariableIsTheDefaultPort() throws {
        let port = ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "2999"]
        #expect(try options([], port).tcp == ListenAddress("127.0.0.1:2999"))
        #expect(try options([], port).extensionPort == "2999")
        // An explicit listener wins, from the flag or from its variable.
        #expect(try options(["--listen", "127.0.0.1:4000"], port).tcp == ListenAddress("127.0.0.1:4000"))
        var both = port
        both["SEALBOX_LISTEN"] = "none"
        #expect(try options([], both).tcp == nil)
        #expect(try options([], both).extensionPort == nil)
        #expect(try options([], [:]).tcp == ListenAddress("127.0.0.1:2773"))
    }

    @Test(arguments: ["", "0", "65536", "abc", "29 99", "-1", "127.0.0.1:2999", "+2999"])
    func aBadExtensionPortIsAUsageError(_ value: String) throws {
        let message = try refusal([], ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": value])
        #expect(message == "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT must be a port number (1-65535), not '\(value)'")
        // Ignored when a listener is given.
        #expect(try refusal(["--listen", "127.0.0.1:1"], ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": value]) == nil)
    }

    @Test func aSwitchFlagWinsOverItsVariable() throws {
        #expect(try options(["--require-auth"], ["SEALBOX_REQUIRE_AUTH": "false"]).requireAuth)
    }

    @Test func anEphemeralDaemonHasNoFilesUnlessNamed() throws {
        let bare = try options(["--ephemeral"])
        #expect(bare.socketPath == nil && bare.auditLogPath == nil && bare.credentialsPath == nil)
        let named = try options(["--ephemeral", "--socket", "/tmp/s.sock", "--audit-log", "-"])
        #expect(named.socketPath == "/tmp/s.sock")
        #expect(named.auditLogPath == "-")
    }

    @Test func aNamedRootKeyIsNotCreated() throws {
        let options = try options(["--root-key", "credential:root.key"])
        #expect(try options.rootKeySource == .credential("root.key"))
        #expect(!options.createsRootKey)
    }

    @Test(arguments: [
        (["--listen", "nowhere"], "--listen must be HOST:PORT or none, not 'nowhere'"),
        (
            ["--listen", "0.0.0.0:2773"],
            "--listen 0.0.0.0:2773 is not a loopback address; pass --allow-remote to expose Sealbox beyond this host"
        ),
        (["--account-id", "12345"], "--account-id must be 12 digits"),
        (["--account-id", "12345678901x"], "--account-id must be 12 digits"),
        (["--region", "US-EAST-1"], "--region must be a region name: 1 to 32 lowercase letters, digits and -"),
        (["--region", "us:east-1"], "--region must be a region name: 1 to 32 lowercase letters, digits and -"),
        (["--log-format", "text"], "--log-format is logfmt or json"),
        (["--root-key", "vault:x"], "--root-key must be file:PATH, env:NAME or credential:NAME"),
        (
            ["--require-auth"],
            "--require-auth goes with --ephemeral and access keys, from a --config or from --fixtures"
        ),
        (
            ["--require-auth", "--ephemeral"],
            "--require-auth goes with --ephemeral and access keys, from a --config or from --fixtures"
        ),
    ])
    func refusesWithTheFlagToFix(_ arguments: [String], _ message: String) throws {
        #expect(try refusal(arguments) == message)
    }

    @Test func aVariableIsRefusedLikeItsFlag() throws {
        #expect(try refusal([], ["SEALBOX_LISTEN": ":80"]) == "--listen must be HOST:PORT or none, not ':80'")
    }

    @Test func theLogFormatIsCheckedFirst() throws {
        #expect(try refusal(["--log-format", "text", "--listen", "x"]) == "--log-format is logfmt or json")
    }

    @Test func accepts() throws {
        #expect(try refusal(["--listen", "none"]) == nil)
        #expect(try options(["--listen", "none"]).tcp == nil)
        #expect(try refusal(["--listen", "0.0.0.0:2773", "--allow-remote"]) == nil)
        #expect(try refusal(["--listen", "[::1]:0", "--log-format", "json"]) == nil)
        // An ephemeral daemon never reads the root key.
        #expect(try refusal(["--ephemeral", "--root-key", "vault:x"]) == nil)
        #expect(try refusal(["--ephemeral", "--require-auth", "--config", "c.yaml"]) == nil)
    }

    @Test func requireAuthWithFixturesNeedsTheirAccessKeys() throws {
        let options = try options(["--ephemeral", "--require-auth", "--fixtures", "f.yaml"])
        try options.validate()
        try options.validateRequireAuth(fixtureAccessKeys: 1)
        #expect(throws: ValidationError.self) { try options.validateRequireAuth(fixtureAccessKeys: 0) }
        let withConfig = try self.options(["--ephemeral", "--require-auth", "--fixtures", "f.yaml", "--config", "c"])
        try withConfig.validateRequireAuth(fixtureAccessKeys: 0)
    }

    @Test func serverSettingsCarryTheOptions() throws {
        let options = try options(["--ephemeral", "--require-auth", "--region", "eu-north-1"])
        let settings = options.serverSettings(daemonUID: 501, version: "9.9")
        #expect(settings.accountID == "123456789012")
        #expect(settings.region == "eu-north-1")
        #expect(settings.ephemeral && settings.requireAuth)
        #expect(settings.daemonUID == 501)
        #expect(settings.version == "9.9")
        #expect(settings.limits == ServerLimits())
    }
}
