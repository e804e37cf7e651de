/// The AWS principals a KMS grant may name, as IAM spells them: the account
/// (`arn:aws:iam::111122223333:root`), an IAM user or role (`...:user/path/name`, `...:role/name`),
/// an assumed-role session (`arn:aws:sts::111122223333:assumed-role/role/session`), a federated user
/// (`arn:aws:sts::111122223333:federated-user/name`), in any partition, or a service principal
/// (`dynamodb.us-east-1.amazonaws.com`). Sealbox stores them as given; the config's
/// `aws.principals` says which Sealbox callers each stands for.
public enum AWSPrincipal {
    /// Whether `text` names an AWS principal a grant may name.
    /// - Parameter text: the principal.
    public static func isValid(_ text: String) -> Bool {
        if !text.hasPrefix("arn:") { return isServicePrincipal(text) }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, isPartition(parts[1]), parts[3].isEmpty,
            parts[4].utf8.count == 12, parts[4].utf8.allSatisfy(isDigit)
        else { return false }
        let resource = parts[5]
        switch parts[2] {
        case "iam":
            if resource == "root" { return true }
            for prefix in ["user/", "role/"] where resource.hasPrefix(prefix) {
                return isNamePath(resource.dropFirst(prefix.count))
            }
            return false
        case "sts":
            if resource.hasPrefix("assumed-role/") {
                let names = resource.dropFirst("assumed-role/".count).split(
                    separator: "/", omittingEmptySubsequences: false)
                return names.count == 2 && names.allSatisfy(isName)
            }
            if resource.hasPrefix("federated-user/") { return isName(resource.dropFirst("federated-user/".count)) }
            return false
        default:
            return false
        }
    }

    /// `aws`, `aws-cn`, `aws-us-gov` and the other partitions: lowercase letters, digits and `-`.
    private static func isPartition(_ text: Substring) -> Bool {
        (text == "aws" || text.hasPrefix("aws-")) && text.utf8.allSatisfy { isLower($0) || isDigit($0) || $0 == 0x2d }
    }

    /// `name.region.amazonaws.com` (or `.amazonaws.com.cn`): lowercase DNS labels.
    private static func isServicePrincipal(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let suffix = text.hasSuffix(".amazonaws.com") ? 2 : text.hasSuffix(".amazonaws.com.cn") ? 3 : 0
        guard suffix > 0, labels.count > suffix, text.utf8.count <= 256 else { return false }
        return labels.dropLast(suffix).allSatisfy { label in
            !label.isEmpty && label.first != "-" && label.utf8.allSatisfy { isLower($0) || isDigit($0) || $0 == 0x2d }
        }
    }

    /// An IAM path and name, `name` or `path/to/name`: names joined by single slashes.
    private static func isNamePath(_ text: Substring) -> Bool {
        let names = text.split(separator: "/", omittingEmptySubsequences: false)
        return names.allSatisfy(isName)
    }

    /// An IAM name: one or more of letters, digits and `_+=,.@-`.
    private static func isName(_ text: Substring) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                isLower(byte) || isDigit(byte) || (0x41...0x5a).contains(byte) || Array("_+=,.@-".utf8).contains(byte)
            }
    }

    private static func isLower(_ byte: UInt8) -> Bool { (0x61...0x7a).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
