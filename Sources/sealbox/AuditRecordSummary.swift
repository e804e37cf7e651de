import Foundation

/// The members of an audit log line that `sealbox audit tail` shows; the rest (chain, MAC, lease
/// id) stay in the line that `--output json` prints as it is. A line that does not decode is
/// printed as it is.
struct AuditRecordSummary: Decodable {
    /// A principal member: a number (uid, gid, pid) or a string (kind, access key).
    enum Scalar: Decodable {
        case integer(Int)
        case number(Double)
        case string(String)
        case bool(Bool)

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let integer = try? value.decode(Int.self) {
                self = .integer(integer)
            } else if let number = try? value.decode(Double.self) {
                self = .number(number)
            } else if let bool = try? value.decode(Bool.self) {
                self = .bool(bool)
            } else {
                self = .string(try value.decode(String.self))
            }
        }

        /// As `Output.text` shows a JSON scalar.
        var text: String {
            switch self {
            case .integer(let value): String(value)
            case .number(let value): NSNumber(value: value).stringValue
            case .string(let value): value
            case .bool(let value): value ? "1" : "0"
            }
        }
    }

    var time: Double?
    var action: String?
    /// On the record that stands for denials not written one by one: how many.
    var suppressed: Int?
    var result: String?
    var principal: [String: Scalar]?
    var resources: [String]?
}
