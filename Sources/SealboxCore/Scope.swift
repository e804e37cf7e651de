/// Where an AWS resource lives: an account and a region, as its ARN names them. Keys and aliases
/// belong to one scope, so a key made in us-east-1 is not found from eu-west-1.
public struct Scope: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Twelve digits.
    public var account: String
    /// A region name such as `us-east-1`.
    public var region: String

    /// - Parameters:
    ///   - account: the account id.
    ///   - region: the region name.
    public init(account: String, region: String) {
        self.account = account
        self.region = region
    }

    /// The defaults of `--account-id` and `--region`.
    public static let home = Scope(account: "123456789012", region: "us-east-1")

    public var description: String { "\(account)/\(region)" }

    /// Whether `name` can stand as a region in an ARN: 1 to 32 lowercase letters, digits and `-`.
    /// Any such name is taken where no list of regions applies (an ephemeral daemon).
    /// - Parameter name: the candidate.
    public static func isRegionName(_ name: some StringProtocol) -> Bool {
        (1...32).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
                    || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-")
            }
    }

    /// Whether `id` is an account id: 12 digits.
    /// - Parameter id: the candidate.
    public static func isAccountID(_ id: some StringProtocol) -> Bool {
        id.utf8.count == 12 && id.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
