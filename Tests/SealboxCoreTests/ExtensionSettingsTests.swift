import SealboxCore
import Testing

/// The config file's `extension:` section: token sources and token headers.
@Suite struct ExtensionSettingsTests {
    @Test func defaultsWithoutTheSection() throws {
        let config = try SealboxConfig.parse("leases: {maxActive: 5}", origin: "test.yaml")
        #expect(config.extensionSettings == ExtensionSettings())
        #expect(config.extensionSettings.tokenSources.isEmpty)
        #expect(config.extensionSettings.tokenHeaders == ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"])
    }

    @Test func parsesSourcesAndHeaders() throws {
        let config = try SealboxConfig.parse(
            """
            extension:
              tokenSources: ["file:/run/sealbox/token", "env:AWS_SESSION_TOKEN", "env:_t0"]
              tokenHeaders: ["X-Custom-Token"]
            """, origin: "test.yaml")
        #expect(
            config.extensionSettings.tokenSources == [
                .file("/run/sealbox/token"), .environment("AWS_SESSION_TOKEN"), .environment("_t0"),
            ])
        #expect(config.extensionSettings.tokenHeaders == ["X-Custom-Token"])
        #expect(
            config.extensionSettings.tokenSources.map(\.description) == [
                "file:/run/sealbox/token", "env:AWS_SESSION_TOKEN", "env:_t0",
            ])
    }

    @Test func headersAloneKeepNoSources() throws {
        let config = try SealboxConfig.parse("extension: {tokenHeaders: [X-Vault-Token]}", origin: "test.yaml")
        #expect(config.extensionSettings.tokenSources.isEmpty)
        #expect(config.extensionSettings.tokenHeaders == ["X-Vault-Token"])
    }

    @Test(arguments: [
        ("extension: [a]", "extension must be a mapping"),
        ("extension: {tokenSource: []}", "unknown key 'extension.tokenSource' (expected tokenSources, tokenHeaders)"),
        ("extension: {tokenSources: file:/x}", "extension.tokenSources must be a list of strings"),
        ("extension: {tokenSources: [[a]]}", "extension.tokenSources must be a list of strings"),
        ("extension: {tokenSources: [\"token:abc\"]}", "'token:abc' is not a token source"),
        ("extension: {tokenSources: [\"file:relative/path\"]}", "'file:relative/path' is not a token source"),
        ("extension: {tokenSources: [\"file:\"]}", "'file:' is not a token source"),
        ("extension: {tokenSources: [\"env:\"]}", "'env:' is not a token source"),
        ("extension: {tokenSources: [\"env:1ABC\"]}", "'env:1ABC' is not a token source"),
        ("extension: {tokenSources: [\"env:A-B\"]}", "'env:A-B' is not a token source"),
        ("extension: {tokenSources: [\"env:A\", \"env:A\"]}", "names a source twice"),
        ("extension: {tokenHeaders: []}", "must name at least one header"),
        ("extension: {tokenHeaders: [\"X Token\"]}", "'X Token' is not an HTTP header name"),
        ("extension: {tokenHeaders: [\"X-Token:\"]}", "'X-Token:' is not an HTTP header name"),
        ("extension: {tokenHeaders: [\"\"]}", "'' is not an HTTP header name"),
        ("extension: {tokenHeaders: [\"X-Vault-Token\", \"x-vault-token\"]}", "names a header twice"),
    ])
    func refusesBadValuesWithThePlace(_ text: String, _ expected: String) {
        do {
            _ = try SealboxConfig.parse(text, origin: "bad.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains("bad.yaml"))
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func anUnknownTopLevelKeyStillFailsAndNamesTheSection() {
        do {
            _ = try SealboxConfig.parse("extensions: {}", origin: "bad.yaml")
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("unknown key 'extensions'"))
            #expect("\(error)".contains("extension, policy"))
        }
    }
}
