import Foundation
import NIOHTTP1
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxServer

/// The extension routes' further tokens: read from files and variables, and matched in the
/// configured headers only.
@Suite struct ExtensionTokensTests {
    private let directory: String = {
        let path = NSTemporaryDirectory() + "sealbox-tokens-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    private func file(_ name: String, _ contents: String, mode: Int = 0o640) throws -> String {
        let path = directory + "/" + name
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    private func headers(_ pairs: [(String, String)]) -> HTTPHeaders { HTTPHeaders(pairs) }

    private func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func readsFilesVariablesAndFileReferencesTrimmed() throws {
        let tokenFile = try file("token", "  from-a-file\n")
        let referenced = try file("referenced", "from-a-reference\n")
        let settings = ExtensionSettings(
            tokenSources: [.file(tokenFile), .environment("AWS_SESSION_TOKEN"), .environment("AWS_TOKEN")])
        let tokens = try ExtensionTokens(
            settings, environment: ["AWS_SESSION_TOKEN": "from-env\t", "AWS_TOKEN": "file://\(referenced)"])
        #expect(tokens.tokens.count == 3)
        for token in ["from-a-file", "from-env", "from-a-reference"] {
            #expect(tokens.accept(headers([("X-Aws-Parameters-Secrets-Token", token)]), dataDirToken: nil), "\(token)")
            #expect(tokens.accept(headers([("x-vault-token", token)]), dataDirToken: nil), "\(token)")
        }
        for wrong in ["from-a-fil", "from-a-file ", "  from-a-file\n", "from-envx", "file://\(referenced)", ""] {
            #expect(!tokens.accept(headers([("X-Aws-Parameters-Secrets-Token", wrong)]), dataDirToken: nil))
        }
    }

    @Test func onlyTheConfiguredHeadersCarryATokenAndTheDataDirTokenStillCounts() throws {
        let dataDir = SecureBytes(copying: Array("data-dir-token".utf8))
        let tokens = try ExtensionTokens(
            ExtensionSettings(tokenSources: [.environment("T")], tokenHeaders: ["X-Custom"]),
            environment: ["T": "configured"])
        #expect(tokens.accept(headers([("x-custom", "configured")]), dataDirToken: dataDir))
        #expect(tokens.accept(headers([("X-CUSTOM", "data-dir-token")]), dataDirToken: dataDir))
        #expect(!tokens.accept(headers([("X-Aws-Parameters-Secrets-Token", "configured")]), dataDirToken: dataDir))
        #expect(!tokens.accept(headers([("X-Vault-Token", "data-dir-token")]), dataDirToken: dataDir))
        #expect(!tokens.accept(headers([("X-Custom", "other")]), dataDirToken: dataDir))
        #expect(!tokens.accept(headers([]), dataDirToken: dataDir))
        // A wrong value in one header does not hide a right one in another.
        let both = ExtensionTokens(headers: ["A", "B"], tokens: [SecureBytes(copying: Array("t".utf8))])
        #expect(both.accept(headers([("A", "wrong"), ("B", "t")]), dataDirToken: nil))
        #expect(ExtensionTokens.standard.accept(headers([("X-Vault-Token", "data-dir-token")]), dataDirToken: dataDir))
    }

    @Test func aSourceThatCannotGiveATokenIsAnErrorThatNamesItAndNotTheValue() throws {
        let empty = try file("empty", " \n")
        let open = try file("open", "secret-open-token", mode: 0o646)
        let cases: [(TokenSource, [String: String], String)] = [
            (.environment("MISSING"), [:], "env:MISSING: the variable MISSING is not set"),
            (.environment("BLANK"), ["BLANK": "  "], "env:BLANK: the token is empty"),
            (.file(empty), [:], "the token is empty"),
            (.file(directory + "/absent"), [:], "cannot read \(directory)/absent"),
            (.environment("REF"), ["REF": "file://\(directory)/absent"], "cannot read \(directory)/absent"),
            (.file(open), [:], "is writable by others"),
        ]
        for (source, environment, expected) in cases {
            let text = message {
                _ = try ExtensionTokens(ExtensionSettings(tokenSources: [source]), environment: environment)
            }
            #expect(text?.contains(expected) == true, "\(source): \(text ?? "accepted")")
            #expect(text?.contains("secret-open-token") == false)
        }
    }
}
