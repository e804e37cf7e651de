import Foundation
import SealboxCore

/// A resource policy document for a parameter, read as Sealbox enforces it: `Allow` statements that
/// name accounts (`123456789012` or `arn:aws:iam::123456789012:root`) as `Principal.AWS`, the read
/// actions a shared parameter takes, and the parameter's own ARN as `Resource`. Anything else would
/// be a grant Sealbox does not enforce, so it is refused rather than stored.
enum ResourcePolicyDocument {
    /// What a shared parameter lets other accounts do.
    static let shareableActions = [
        "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory", "ssm:DescribeParameters",
    ]
    /// The longest document taken.
    static let maxLength = 4096

    private static func malformed(_ detail: String) -> AWSError {
        .malformedResourcePolicyDocument("The resource policy is not valid: \(detail)")
    }

    /// The accounts and actions the document grants on the parameter `arn`.
    /// - Parameters:
    ///   - text: the document.
    ///   - arn: the parameter's ARN, the only resource it may name.
    static func grants(_ text: String, arn: String) throws(AWSError) -> (accounts: [String], actions: [String]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw malformed("it must be a JSON object.")
        }
        guard let statements = list(object["Statement"]) as? [[String: Any]], !statements.isEmpty else {
            throw malformed("Statement must be a statement object or a list of them.")
        }
        var accounts: [String] = []
        var actions: [String] = []
        for statement in statements {
            guard statement["Effect"] as? String == "Allow" else {
                throw malformed("each statement's Effect must be Allow.")
            }
            guard let principal = statement["Principal"] as? [String: Any], principal.count == 1,
                let named = list(principal["AWS"]) as? [String], !named.isEmpty
            else {
                throw malformed("Principal must be {\"AWS\": ...} naming accounts.")
            }
            for name in named {
                guard let account = account(of: name) else {
                    throw malformed("the principal \(name) is not an account id or an account's root ARN.")
                }
                if !accounts.contains(account) { accounts.append(account) }
            }
            guard let granted = list(statement["Action"]) as? [String], !granted.isEmpty else {
                throw malformed("Action must name one or more actions.")
            }
            for action in granted {
                guard let known = shareableActions.first(where: { $0.caseInsensitiveCompare(action) == .orderedSame })
                else {
                    throw malformed(
                        "the action \(action) cannot be shared; a parameter shares \(shareableActions.joined(separator: ", "))."
                    )
                }
                if !actions.contains(known) { actions.append(known) }
            }
            guard let resources = list(statement["Resource"]) as? [String], !resources.isEmpty,
                resources.allSatisfy({ $0 == arn })
            else {
                throw malformed("Resource must be the parameter's ARN, \(arn).")
            }
        }
        return (accounts, actions)
    }

    /// A single value or a list, as IAM documents allow, as a list.
    private static func list(_ value: Any?) -> [Any]? {
        switch value {
        case let many as [Any]: many
        case let one?: [one]
        case nil: nil
        }
    }

    /// The account a principal names: an account id, or its root user's ARN.
    private static func account(of principal: String) -> String? {
        if Scope.isAccountID(principal) { return principal }
        let parts = principal.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1] == "aws", parts[2] == "iam", parts[3].isEmpty,
            Scope.isAccountID(parts[4]), parts[5] == "root"
        else { return nil }
        return String(parts[4])
    }
}
