import Yams

/// The config file's `extension:` section: which tokens the Lambda extension's and the Secrets
/// Manager Agent's routes accept besides `<data-dir>/token`, and in which headers.
///
/// ```yaml
/// extension:
///   tokenSources: ["file:/run/sealbox/token", "env:AWS_SESSION_TOKEN"]
///   tokenHeaders: ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"]
/// ```
public struct ExtensionSettings: Sendable, Equatable {
    /// The headers the agent reads its token from, in its order.
    public static let defaultHeaders = ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"]

    /// Where the further accepted tokens are read, at start and on each reload.
    public var tokenSources: [TokenSource] = []
    /// The request headers a token may come in; any of them may carry any accepted token.
    public var tokenHeaders: [String] = Self.defaultHeaders

    /// - Parameters:
    ///   - tokenSources: where the further tokens are read.
    ///   - tokenHeaders: the headers a token may come in.
    public init(tokenSources: [TokenSource] = [], tokenHeaders: [String] = Self.defaultHeaders) {
        self.tokenSources = tokenSources
        self.tokenHeaders = tokenHeaders
    }

    /// Parses the `extension:` mapping; unknown keys and bad values are refused with where they are.
    /// - Parameters:
    ///   - node: the section's value.
    ///   - fail: makes the error for a message.
    static func parse(_ node: Node, _ fail: (String) -> SetupError) throws -> ExtensionSettings {
        guard let mapping = node.mapping else { throw fail("extension must be a mapping") }
        var settings = ExtensionSettings()
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            guard key == "tokenSources" || key == "tokenHeaders" else {
                throw fail("unknown key 'extension.\(key)' (expected tokenSources, tokenHeaders)")
            }
            guard let items = value.sequence?.compactMap(\.string), items.count == value.sequence?.count else {
                throw fail("extension.\(key) must be a list of strings")
            }
            if key == "tokenSources" {
                settings.tokenSources = try items.map { text in
                    guard let source = TokenSource(text) else {
                        throw fail(
                            "extension.tokenSources: '\(text)' is not a token source (file:/ABSOLUTE/PATH or env:NAME)")
                    }
                    return source
                }
                guard Set(settings.tokenSources).count == items.count else {
                    throw fail("extension.tokenSources names a source twice")
                }
            } else {
                guard !items.isEmpty else {
                    throw fail("extension.tokenHeaders must name at least one header")
                }
                for name in items where !isHeaderName(name) {
                    throw fail("extension.tokenHeaders: '\(name)' is not an HTTP header name")
                }
                guard Set(items.map { $0.lowercased() }).count == items.count else {
                    throw fail("extension.tokenHeaders names a header twice")
                }
                settings.tokenHeaders = items
            }
        }
        return settings
    }

    /// An RFC 9110 field name: one or more token characters.
    private static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}

/// Where an accepted token is read: a file's first line, or an environment variable of the daemon,
/// whose value may itself be `file://PATH`, as the Secrets Manager Agent reads `AWS_TOKEN`.
public enum TokenSource: Hashable, Sendable, CustomStringConvertible {
    case file(String)
    case environment(String)

    /// Parses `file:/ABSOLUTE/PATH` or `env:NAME` (a POSIX variable name).
    /// - Parameter text: the source as the config gives it.
    public init?(_ text: String) {
        if text.hasPrefix("file:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/"), path.count > 1 else { return nil }
            self = .file(path)
        } else if text.hasPrefix("env:") {
            let name = text.dropFirst(4)
            guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
                name.utf8.allSatisfy({ byte in
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                        true
                    default: false
                    }
                })
            else { return nil }
            self = .environment(String(name))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .file(let path): "file:\(path)"
        case .environment(let name): "env:\(name)"
        }
    }
}
