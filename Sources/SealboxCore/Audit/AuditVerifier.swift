import Foundation
import SealboxCrypto

/// Checks an audit log: every line's MAC, and each chain's sequence and links.
public enum AuditVerifier {
    /// The outcome of a verification.
    public struct Report: Sendable, Equatable {
        /// Records that verified.
        public var verified: Int
        /// The first problem: its 1-based line number and what is wrong; nil when the log is intact.
        public var problem: (line: Int, reason: String)?

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.verified == rhs.verified && lhs.problem?.line == rhs.problem?.line
                && lhs.problem?.reason == rhs.problem?.reason
        }
    }

    /// Verifies a whole log.
    /// - Parameters:
    ///   - log: the file's bytes.
    ///   - key: the audit MAC key (``AuditLog/key(rootKey:)``).
    public static func verify(_ log: [UInt8], key: SecureBytes) -> Report {
        var chains: [String: (sequence: Int, previous: String)] = [:]
        var verified = 0
        let lines = log.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.isEmpty {
                if index == lines.count - 1 { break }
                return Report(verified: verified, problem: (number, "empty line"))
            }
            if index == lines.count - 1 {
                return Report(
                    verified: verified,
                    problem: (number, "torn final record (no newline): the daemon stopped mid-write"))
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let macStart = text.range(of: ",\"mac\":\"", options: .backwards), text.hasSuffix("\"}") else {
                // A fragment followed by the first record of a new run: the daemon died mid-write.
                let next = index + 1 < lines.count ? String(decoding: lines[index + 1], as: UTF8.self) : ""
                if text.hasPrefix("{\"chain\":\""), next.contains("\"seq\":1,") || next.isEmpty {
                    return Report(
                        verified: verified,
                        problem: (number, "torn record: the daemon stopped mid-write; the next start closed the line"))
                }
                return Report(verified: verified, problem: (number, "no MAC"))
            }
            let body = String(text[..<macStart.lowerBound])
            let mac = String(text[macStart.upperBound..<text.index(text.endIndex, offsetBy: -2)])
            let expected = Hex.encode(Digest.hmacSHA256(key: key, Array(body.utf8)))
            guard Sodium.constantTimeEquals(Array(expected.utf8), Array(mac.utf8)) else {
                return Report(verified: verified, problem: (number, "MAC mismatch: the record was edited or forged"))
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data((body + "}").utf8)) as? [String: Any],
                let chain = object["chain"] as? String, let sequence = object["seq"] as? Int,
                let previous = object["prev"] as? String
            else { return Report(verified: verified, problem: (number, "malformed record")) }
            let state = chains[chain] ?? (0, "start")
            guard sequence == state.sequence + 1, previous == state.previous else {
                return Report(
                    verified: verified,
                    problem: (
                        number,
                        "chain \(chain) breaks: expected record \(state.sequence + 1), found \(sequence); records were deleted or reordered"
                    ))
            }
            chains[chain] = (sequence, mac)
            verified += 1
        }
        return Report(verified: verified, problem: nil)
    }
}
