import Foundation
import SealboxCore

/// A secret's resource policy document, read as Sealbox enforces it: `Allow` and `Deny` statements
/// whose `Principal` is `*` or `{"AWS": ...}` (account ids and IAM/STS principal ARNs) and whose
/// `Action` names Secrets Manager actions. A `Condition` is not evaluated, so it errs on the safe
/// side: an `Allow` with one grants nothing, a `Deny` with one always denies.
enum SecretPolicyDocument {
    /// The longest document taken, as the model says.
    static let maxLength = 20_480

    /// One problem found, as ValidateResourcePolicy lists it.
    struct Finding {
        var check: String
        var message: String
    }

    /// Reads a document. A text that is not a JSON object throws; any other problem is a finding.
    /// - Parameter text: the document.
    /// - Returns: the policy, and what is wrong with it (the policy is stored only when nothing is).
    static func read(_ text: String) throws(SealboxError) -> (policy: SecretResourcePolicy, findings: [Finding]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw SealboxError.malformedPolicyDocument("This resource policy contains a syntax error.")
        }
        var findings: [Finding] = []
        func find(_ message: String) { findings.append(Finding(check: "SYNTAX_CHECK", message: message)) }
        if let version = object["Version"], !["2012-10-17", "2008-10-17"].contains(version as? String ?? "") {
            find("Version must be 2012-10-17 or 2008-10-17.")
        }
        var statements: [SecretResourcePolicy.Statement] = []
        let listed = list(object["Statement"]) ?? []
        if listed.isEmpty { find("Statement must be a statement object or a list of them.") }
        for (index, entry) in listed.enumerated() {
            let place = "Statement \(index + 1)"
            guard let statement = entry as? [String: Any] else {
                find("\(place) is not an object.")
                continue
            }
            for key in statement.keys
            where !["Sid", "Effect", "Principal", "Action", "Resource", "Condition"].contains(key) {
                find("\(place): \(key) is not supported; Sealbox enforces Effect, Principal, Action and Resource.")
            }
            let effect = statement["Effect"] as? String
            if effect != "Allow", effect != "Deny" { find("\(place): Effect must be Allow or Deny.") }
            var principals: [String] = []
            if statement["Principal"] as? String == "*" {
                principals = ["*"]
            } else if let principal = statement["Principal"] as? [String: Any],
                principal.keys.allSatisfy({ $0 == "AWS" }),
                let named = list(principal["AWS"]) as? [String], !named.isEmpty
            {
                principals = named
                for name in named where name != "*" && !Scope.isAccountID(name) && !AWSPrincipal.isValid(name) {
                    find("\(place): the principal \(name) is not an account id or an IAM principal ARN.")
                }
            } else {
                find("\(place): Principal must be * or {\"AWS\": ...}.")
            }
            let actions = list(statement["Action"]) as? [String] ?? []
            if actions.isEmpty { find("\(place): Action must name one or more actions.") }
            for action in actions where action != "*" && !action.lowercased().hasPrefix("secretsmanager:") {
                find("\(place): the action \(action) is not a Secrets Manager action.")
            }
            if (list(statement["Resource"]) as? [String] ?? []).isEmpty {
                find("\(place): Resource must name the secret or *.")
            }
            let conditional = statement["Condition"] != nil
            if effect == "Allow", !conditional {
                statements.append(.init(allow: true, principals: principals, actions: actions))
            } else if effect == "Deny" {
                statements.append(.init(allow: false, principals: principals, actions: actions))
            }
        }
        return (SecretResourcePolicy(document: text, statements: statements), findings)
    }

    /// A single value or a list, as IAM documents allow, as a list.
    private static func list(_ value: Any?) -> [Any]? {
        switch value {
        case let many as [Any]: many
        case let one?: [one]
        case nil: nil
        }
    }
}
