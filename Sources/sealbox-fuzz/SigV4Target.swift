import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxServer

/// The SigV4 verifier on a request written as text: `METHOD PATH[?QUERY]`, header lines, an empty
/// line, then the body. The clock and key match the seed corpus, so seeded requests verify and
/// the fuzzer starts from requests that pass.
enum SigV4Target {
    static let accessKey = AccessKey(
        id: "AKIDFUZZ", secret: SecureBytes(copying: Array("fuzz-secret-key".utf8)), principal: "fuzzer")
    /// 2026-01-01T00:00:00Z, the X-Amz-Date of the seeds.
    static let verifier = SigV4Verifier(keys: [accessKey], clock: ManualClock(1_767_225_600))

    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let (head, body) =
            text.range(of: "\n\n").map { (text[..<$0.lowerBound], Array(text[$0.upperBound...].utf8)) }
            ?? (text[...], [])
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return }
        let requestLine = lines.removeFirst().split(separator: " ", maxSplits: 1)
        let target = requestLine.count > 1 ? requestLine[1] : "/"
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers = HTTPHeaders()
        for line in lines {
            // NIO's parser hands on only ASCII header names.
            guard let colon = line.firstIndex(of: ":"), line[..<colon].utf8.allSatisfy({ $0 < 0x80 }) else { continue }
            headers.add(
                name: String(line[..<colon]), value: String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        _ = try? verifier.verify(
            method: requestLine.first.map(String.init) ?? "", path: path.first ?? "/",
            query: path.count > 1 ? path[1] : "", headers: headers, body: body, service: "kms")
    }
}
