/// Parameter names, selectors and ARNs, with AWS's rules.
package enum ParameterName {
    package static let maxLevels = 15
    static let maxLength = 1011

    /// A name with an optional `:version` or `:label` selector, from a name or an ARN.
    package struct Reference {
        package var name: String
        package var selector: Selector?
        package var original: String
        /// An ARN of another region or account: no parameter of the caller's is named.
        package var elsewhere = false
        /// For an ARN, the account and region it names (an empty account for a public parameter).
        package var arnScope: Scope? = nil
    }

    package enum Selector: Equatable {
        case version(Int)
        case label(String)

        package var text: String {
            switch self {
            case .version(let number): ":\(number)"
            case .label(let label): ":\(label)"
            }
        }
    }

    /// Where AWS's public parameters live: fixtures seed them, callers only read them.
    package static let publicPrefix = "/aws/service/"

    /// Whether `name` is a public parameter's: under `/aws/service/`.
    package static func isPublic(_ name: String) -> Bool {
        // By bytes: ARNs ask this on every read, and String's hasPrefix compares by Character.
        name.utf8.count > publicPrefix.utf8.count && name.utf8.starts(with: publicPrefix.utf8)
    }

    /// A public parameter's ARN names no account, as AWS's do.
    package static func arn(_ name: String, _ context: RequestContext) -> String {
        if name.utf8.first == UInt8(ascii: "/"), isPublic(name) {
            return "arn:aws:ssm:\(context.region)::parameter/" + bare(name)
        }
        return context.arn("ssm", "parameter/", bare(name))
    }

    /// The ARN of the parameter `name` in `scope`.
    /// - Parameters:
    ///   - name: the parameter's name.
    ///   - scope: its account (empty for a public parameter) and region.
    ///   - context: the caller, whose own scope builds the ARN without a copy of the context.
    package static func arn(_ name: String, in scope: Scope, _ context: RequestContext) -> String {
        if scope.account == context.accountID, scope.region == context.region { return arn(name, context) }
        if scope.account.isEmpty { return "arn:aws:ssm:\(scope.region)::parameter/" + bare(name) }
        return context.within(scope).arn("ssm", "parameter/", bare(name))
    }

    /// The account and region a name is found in for a caller: its own, or for a public parameter
    /// (which belongs to no account) its region with an empty account.
    /// - Parameters:
    ///   - name: the parameter's name.
    ///   - context: the caller.
    package static func scope(of name: String, _ context: RequestContext) -> Scope {
        if name.utf8.first == UInt8(ascii: "/"), isPublic(name) {
            return Scope(account: "", region: context.region)
        }
        return context.scope
    }

    /// Refuses a caller's change to a public parameter (delete, label, tag), as the reserved prefix
    /// refuses its creation.
    /// - Parameter name: the parameter's name.
    package static func requireWritable(_ name: String) throws(SealboxError) {
        if isPublic(name) { throw invalidName }
    }

    /// AWS gives one text for a reserved prefix and for a character outside a-zA-Z0-9_.-/.
    private static let invalidName = SealboxError.validation(
        "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_"
    )

    /// The region and account of `arn` when it is exactly the ARN of the parameter `name`; nil otherwise.
    /// - Parameters:
    ///   - arn: an encryption context's parameter ARN.
    ///   - name: the parameter's name.
    package static func sealedIn(arn: String, name: String) -> (region: String, account: String)? {
        SealedArn(arn, name: name).scope
    }

    /// The name without its leading slash, as it ends an ARN.
    static func bare(_ name: String) -> Substring {
        // By bytes: dropFirst() by Character looked for a grapheme boundary on every SecureString read.
        name.utf8.first == UInt8(ascii: "/") ? Substring(name.utf8.dropFirst()) : name[...]
    }

    /// Splits `name[:selector]` or `arn:...:parameter/name[:selector]`.
    package static func parse(_ text: String, _ context: RequestContext) throws(SealboxError) -> Reference {
        var rest = Substring(text)
        var fromArn = false
        var elsewhere = false
        var arnScope: Scope? = nil
        // Compared as bytes: Character comparisons walk grapheme clusters, on every read.
        if rest.utf8.first == UInt8(ascii: "a"), rest.utf8.starts(with: "arn:".utf8) {
            let parts = rest.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "ssm", parts[5].hasPrefix("parameter/") else {
                throw SealboxError.validation("Invalid parameter ARN: \(text)")
            }
            rest = parts[5].dropFirst("parameter/".count)
            fromArn = true
            // A public parameter's ARN names no account; every other names the caller's.
            let publicName = isPublic("/" + rest)
            elsewhere =
                parts[1] != "aws" || parts[3] != context.region
                || (publicName ? !parts[4].isEmpty && parts[4] != context.accountID : parts[4] != context.accountID)
            arnScope = Scope(account: String(parts[4]), region: String(parts[3]))
        }
        var selector: Selector? = nil
        if let colon = rest.utf8.firstIndex(of: UInt8(ascii: ":")) {
            let tail = rest[rest.utf8.index(after: colon)...]
            rest = rest[..<colon]
            if let number = Int(tail), number > 0 {
                selector = .version(number)
            } else if !tail.isEmpty {
                selector = .label(String(tail))
            } else {
                throw SealboxError.validation("Invalid selector in \(text)")
            }
        }
        // A plain name, the usual case, is the text itself: no copy.
        var name = rest.endIndex == text.endIndex && rest.startIndex == text.startIndex ? text : String(rest)
        if fromArn, name.contains("/") { name = "/" + name }
        return Reference(name: name, selector: selector, original: text, elsewhere: elsewhere, arnScope: arnScope)
    }

    /// A one-level name's other spelling: `db` for `/db`, and `/db` for `db`. Both end their ARN in
    /// `parameter/db`, so they name one parameter; nil for a name with a hierarchy.
    /// - Parameter name: the name as given.
    package static func otherSpelling(_ name: String) -> String? {
        let slash = UInt8(ascii: "/")
        if name.utf8.first == slash {
            guard name.utf8.count > 1, !name.utf8.dropFirst().contains(slash) else { return nil }
            return String(bare(name))
        }
        guard !name.isEmpty, !name.utf8.contains(slash) else { return nil }
        return "/" + name
    }

    /// The account and region a path query searches for a caller: public parameters' for
    /// `/aws/service` and below, else the caller's own.
    /// - Parameters:
    ///   - path: the query's path, without a trailing slash.
    ///   - context: the caller.
    package static func scope(ofPath path: String, _ context: RequestContext) -> Scope {
        path + "/" == publicPrefix || isPublic(path) ? Scope(account: "", region: context.region) : context.scope
    }

    /// Checks a name for writing: characters, reserved prefixes, hierarchy depth and length.
    /// - Parameters:
    ///   - name: the name.
    ///   - context: the caller, whose region and account the ARN's length counts.
    ///   - allowingPublic: takes a public parameter's name (`/aws/service/...`): fixtures seed them,
    ///     and leases read them.
    package static func validate(_ name: String, _ context: RequestContext, allowingPublic: Bool = false)
        throws(SealboxError)
    {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-", "/": true
            default: false
            }
        }
        guard !name.isEmpty, allowed else { throw invalidName }
        let lower = bare(name).lowercased()
        if lower.hasPrefix("aws") || lower.hasPrefix("ssm"), !(allowingPublic && isPublic(name)) {
            throw invalidName
        }
        if name.contains("/") {
            guard name.hasPrefix("/") else {
                throw SealboxError.validation(
                    "Parameter name must be a fully qualified name: a hierarchy starts with /")
            }
            guard !name.hasSuffix("/"), !name.contains("//") else {
                throw SealboxError.validation("Parameter name: a hierarchy level can't be empty (name: \(name))")
            }
        }
        if levels(name) > maxLevels {
            throw SealboxError.hierarchyLevelLimitExceeded(
                "Parameter name: hierarchy can't have more than \(maxLevels) levels (name: \(name))")
        }
        // A SecureString is bound to an ARN rebuilt from its name, region and account: these must split one way.
        if context.region.contains(":") || context.region.contains("/") || context.region.utf8.count > 64
            || context.accountID.contains(":")
        {
            throw SealboxError.validation("The region \(context.region) is not a valid region name")
        }
        if arn(name, context).count > maxLength {
            throw SealboxError.validation(
                "Parameter name: the fully qualified name, with the ARN prefix, can't be longer than \(maxLength) characters"
            )
        }
    }

    package static func levels(_ name: String) -> Int {
        name.split(separator: "/").count
    }

    /// Labels may not start with a digit, `aws` or `ssm`, and use a-zA-Z0-9_.- up to 100 characters.
    package static func isValidLabel(_ label: String) -> Bool {
        guard (1...100).contains(label.count), let first = label.unicodeScalars.first else { return false }
        if ("0"..."9").contains(first) { return false }
        let lower = label.lowercased()
        if lower.hasPrefix("aws") || lower.hasPrefix("ssm") { return false }
        return label.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": true
            default: false
            }
        }
    }

    /// Whether `name` lies under `path`: one level down, or any depth when recursive. A name without
    /// a slash (which has no hierarchy) sits at the root, as AWS answers a path of `/`.
    package static func isUnder(_ name: String, path: String, recursive: Bool) -> Bool {
        if path == "/", name.utf8.first != UInt8(ascii: "/") { return true }
        let prefix = path == "/" ? "/" : path + "/"
        guard name.hasPrefix(prefix), name.count > prefix.count else { return false }
        return recursive || !name.dropFirst(prefix.count).contains("/")
    }
}
