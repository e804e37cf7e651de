import NIOHTTP1
import SealboxCore
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The tokens the Lambda extension's and the Secrets Manager Agent's routes accept on TCP besides
/// `<data-dir>/token`, and the headers they may come in (`extension:` in the config).
public struct ExtensionTokens: Sendable {
    /// The headers, lowercased, in the config's order.
    let headers: [String]
    /// The tokens read from the config's sources.
    let tokens: [SecureBytes]

    /// No further token; the agent's default headers.
    public static let standard = ExtensionTokens(headers: ExtensionSettings.defaultHeaders, tokens: [])

    /// - Parameters:
    ///   - headers: the header names, in any case.
    ///   - tokens: the tokens accepted besides the data dir's.
    public init(headers: [String], tokens: [SecureBytes]) {
        self.headers = headers.map { $0.lowercased() }
        self.tokens = tokens
    }

    /// Reads every source of `settings`: a file's content or a variable's value, without surrounding
    /// whitespace; a variable whose value is `file://PATH` names the file that holds the token. A
    /// source that is missing, unreadable or empty is an error naming the source, never its value.
    /// - Parameters:
    ///   - settings: the config's `extension:` section.
    ///   - environment: the daemon's environment.
    public init(_ settings: ExtensionSettings, environment: [String: String]) throws {
        let tokens = try settings.tokenSources.map { source in
            switch source {
            case .file(let path):
                return try Self.readFile(path, source: source)
            case .environment(let name):
                guard let value = environment[name] else {
                    throw SetupError(description: "extension.tokenSources \(source): the variable \(name) is not set")
                }
                if value.hasPrefix("file://") {
                    return try Self.readFile(String(value.dropFirst(7)), source: source)
                }
                var bytes = Array(value.utf8)
                defer { bytes.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
                return try bytes.withUnsafeBytes { try Self.trimmed($0, source: source) }
            }
        }
        self.init(headers: settings.tokenHeaders, tokens: tokens)
    }

    /// Whether one of the configured headers carries `dataDirToken` or one of ``tokens``; a header
    /// sent twice counts with its first value, as the agent reads it. Every candidate is compared in
    /// full, in constant time, whatever matched before.
    /// - Parameters:
    ///   - requestHeaders: the request's headers.
    ///   - dataDirToken: this run's `<data-dir>/token`, if any.
    func accept(_ requestHeaders: HTTPHeaders, dataDirToken: SecureBytes?) -> Bool {
        var accepted = false
        for name in headers {
            guard let presented = requestHeaders.first(name: name) else { continue }
            let bytes = Array(presented.utf8)
            if let dataDirToken, dataDirToken.constantTimeEquals(bytes) { accepted = true }
            for token in tokens where token.constantTimeEquals(bytes) { accepted = true }
        }
        return accepted
    }

    private static func readFile(_ path: String, source: TokenSource) throws -> SecureBytes {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SetupError(
                description:
                    "extension.tokenSources \(source): cannot read \(path): \(String(cString: strerror(errno)))")
        }
        // Anyone who may write the file may choose the token.
        guard info.st_mode & 0o002 == 0 else {
            throw SetupError(description: "extension.tokenSources \(source): \(path) is writable by others; refused")
        }
        // The token is shared with the handlers' group, as the agent's token file is: not held to
        // the root key's mode 0600.
        let raw = try SecretFile.read(path, what: "the token file", checkPermissions: false)
        return try raw.withUnsafeBytes { try trimmed($0, source: source) }
    }

    /// The bytes without leading and trailing blanks, in guarded memory.
    private static func trimmed(_ bytes: UnsafeRawBufferPointer, source: TokenSource) throws -> SecureBytes {
        let blank: Set<UInt8> = [0x20, 0x09, 0x0a, 0x0d]
        let start = bytes.firstIndex { !blank.contains($0) } ?? bytes.count
        let end = bytes.lastIndex { !blank.contains($0) }.map { $0 + 1 } ?? start
        guard start < end else { throw SetupError(description: "extension.tokenSources \(source): the token is empty") }
        return try SecureBytes(count: end - start) { out in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        }
    }
}
