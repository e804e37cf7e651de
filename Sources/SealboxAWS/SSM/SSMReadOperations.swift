import Foundation
import SealboxCore
import SealboxCrypto

// Parameter Store reads: GetParameter(s), GetParametersByPath, DescribeParameters, GetParameterHistory.
extension SSM {
    func getParameter(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NameRequest.self, from: body)
        return try parameterResponse(
            try requireName(request.name), decrypt: request.withDecryption == true, forExtension: false, context)
    }

    /// GetParameter's answer, also served by the Lambda extension's
    /// `GET /systemsmanager/parameters/get` in the extension's own form.
    /// - Parameters:
    ///   - name: the name, ARN, or either with a `:version` / `:label` selector.
    ///   - decrypt: open a SecureString.
    ///   - forExtension: answer as the extension does: its `Parameter` form (an ISO 8601
    ///     `LastModifiedDate`, null `Selector` and `SourceResult`) and an empty `ResultMetadata`.
    ///   - context: the caller.
    public func parameterResponse(
        _ name: String,
        decrypt: Bool,
        forExtension: Bool,
        _ context: RequestContext
    ) throws -> ResponseBody {
        let reference = try ParameterName.parse(name, context)
        if Self.isSecretReference(reference.name) {
            var json = SensitiveJSON()
            json.object(
                "Parameter", try secretReferenceJSON(reference, decrypt: decrypt, forExtension: forExtension, context))
            if forExtension { json.object("ResultMetadata", SensitiveJSON()) }
            return json.render()
        }
        let parameter = self.parameter(reference, context)
        // The policy judges the stored name: a grant on `/db` covers a read of `db`.
        try context.authorize([policyResource(parameter, reference, context)])
        guard let parameter else { throw SealboxError.parameterNotFound("Parameter \(reference.name) not found.") }
        let version = try version(of: parameter, reference.selector)
        var json = SensitiveJSON()
        json.object(
            "Parameter",
            try parameterJSON(
                parameter, version, selector: reference.selector, decrypt: decrypt, forExtension: forExtension,
                context))
        if forExtension { json.object("ResultMetadata", SensitiveJSON()) }
        return json.render()
    }

    func getParameters(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NamesRequest.self, from: body)
        let names = try requireNames(request.names)
        try context.authorize(
            names.compactMap { text in
                (try? ParameterName.parse(text, context)).map { policyResource(parameter($0, context), $0, context) }
            })
        var found: [(sortKey: String, text: String, json: SensitiveJSON)] = []
        var invalid: [String] = []
        for text in names {
            if let reference = try? ParameterName.parse(text, context), Self.isSecretReference(reference.name) {
                // A secret reference that cannot be read is an invalid parameter, like a missing name;
                // WithDecryption missing is an error of the whole request, as AWS answers it.
                if request.withDecryption != true {
                    throw Self.decryptionRequired
                }
                guard let json = try? secretReferenceJSON(reference, decrypt: true, context) else {
                    if !invalid.contains(text) { invalid.append(text) }
                    continue
                }
                guard !found.contains(where: { $0.text == text }) else { continue }
                found.append((reference.name + "\u{0}" + (reference.selector?.text ?? ""), text, json))
                continue
            }
            guard let reference = try? ParameterName.parse(text, context), let hit = try? find(reference, context)
            else {
                if !invalid.contains(text) { invalid.append(text) }
                continue
            }
            guard !found.contains(where: { $0.text == text }) else { continue }
            let (parameter, version) = hit
            found.append(
                (
                    parameter.name + "\u{0}" + (reference.selector?.text ?? ""), text,
                    try parameterJSON(
                        parameter, version, selector: reference.selector, decrypt: request.withDecryption == true,
                        context)
                ))
        }
        var json = SensitiveJSON()
        json.objects("Parameters", found.sorted { $0.sortKey < $1.sortKey }.map(\.json))
        json.strings("InvalidParameters", invalid)
        return json.render()
    }

    func getParametersByPath(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(GetParametersByPathRequest.self, from: body)
        var validator = Validator()
        validator.required(request.path, "path")
        validator.length(request.path, "path", min: 1, max: 2048)
        validator.range(request.maxResults, "maxResults", min: 1, max: 10)
        ParameterFilter.constrain(request.parameterFilters, &validator)
        try validator.check()
        let path = request.path!
        guard path.hasPrefix("/"), path == "/" || !path.hasSuffix("/") || path.count > 1 else {
            throw SealboxError.validation("The parameter path must start with /. For example: /Dev/Production/East")
        }
        let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if ParameterName.levels(normalized) > ParameterName.maxLevels {
            throw SealboxError.hierarchyLevelLimitExceeded("The path has more than \(ParameterName.maxLevels) levels")
        }
        let filters = try ParameterFilter.make(request.parameterFilters, use: .byPath)
        let labelFilters = filters.filter { $0.key == "Label" }
        let recursive = request.recursive == true
        let prefix = normalized == "/" ? "/" : normalized + "/"
        try context.authorize([prefix + "*"])
        // Resume after the token's name and stop one match past the page: a page costs its own size,
        // not the subtree's.
        let scope = "ssm.getParametersByPath"
        var after: String? = nil
        if let token = request.nextToken {
            guard let last = PageToken.last(in: token, scope: scope) else {
                throw AWSError.invalidNextToken("The nextToken is not valid")
            }
            after = last
        }
        let limit = request.maxResults ?? 10
        var chosen: [(StoredParameter, ParameterVersionRecord)] = []
        var more = false
        // The root holds the names without a slash too, which a `/*` grant does not name: each needs
        // its own.
        let root = normalized == "/"
        // Public parameters are found under their own path only, as they are in no account's tree.
        let owner = ParameterName.scope(ofPath: normalized, context)
        for name in sortedNames(in: owner, withPrefix: root ? "" : prefix, after: after)
        where ParameterName.isUnder(name, path: normalized, recursive: recursive)
            && (!root || name.utf8.first == UInt8(ascii: "/")
                || context.authorization.allows(context.action.name, [name]))
        {
            guard let parameter = self.parameter(named: name, in: owner), filters.allSatisfy({ $0.matches(parameter) })
            else { continue }
            guard chosen.count < limit else {
                more = true
                break
            }
            // With a Label filter, the answer is the labelled version.
            let labelled = parameter.versions.last { version in
                labelFilters.allSatisfy { filter in version.labels.contains(where: filter.accepts) }
            }
            chosen.append((parameter, labelled ?? parameter.versions.last!))
        }
        let next = more ? PageToken.make(after: chosen.last!.0.name, scope: scope) : nil
        var json = SensitiveJSON()
        json.objects(
            "Parameters",
            try chosen.map { (item) throws in
                try parameterJSON(item.0, item.1, selector: nil, decrypt: request.withDecryption == true, context)
            })
        if let next { json.string("NextToken", next) }
        return json.render()
    }

    func describeParameters(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(DescribeParametersRequest.self, from: body)
        var validator = Validator()
        validator.range(request.maxResults, "maxResults", min: 1, max: 50)
        for (index, filter) in (request.filters ?? []).enumerated() {
            let field = "filters.\(index + 1).member"
            validator.required(filter.key, "\(field).key")
            validator.oneOf(filter.key, "\(field).key", ["Name", "Type", "KeyId"])
            validator.required(filter.values, "\(field).values")
            validator.count(filter.values, "\(field).values", min: 1, max: 50)
        }
        ParameterFilter.constrain(request.parameterFilters, &validator)
        try validator.check()
        if request.filters != nil && request.parameterFilters != nil {
            throw SealboxError.validation(
                "You can use either Filters or ParameterFilters in a single request, but not both.")
        }
        var filters = try ParameterFilter.make(request.parameterFilters, use: .describe)
        for filter in request.filters ?? [] {
            filters.append(ParameterFilter(deprecated: filter.key!, values: filter.values!))
        }
        // Public parameters belong to no account, so no account's listing shows them. `Shared` lists
        // the parameters other accounts share with the caller instead of its own.
        let candidates =
            request.shared == true
            ? sharedWith(context).sorted { ($0.name, $0.scope.account) < ($1.name, $1.scope.account) }
            : sortedNames(in: context.scope).compactMap { parameter(named: $0, in: context.scope) }
        let matches = candidates.filter { parameter in filters.allSatisfy { $0.matches(parameter) } }
        // Shared parameters of two accounts may have one name: the account breaks the tie.
        let (chosen, next) = try page(
            matches, key: { $0.name + "\u{0}" + $0.scope.account }, token: request.nextToken,
            limit: request.maxResults ?? 10)
        var json = SensitiveJSON()
        json.objects("Parameters", chosen.map { metadataJSON($0, $0.versions.last!, context) })
        if let next { json.string("NextToken", next) }
        return json.render()
    }

    /// What the policy judges a read by: the stored name of the caller's own parameter (a grant on
    /// `/db` covers a read of `db`), or the full ARN of another account's.
    func policyResource(
        _ parameter: StoredParameter?, _ reference: ParameterName.Reference, _ context: RequestContext
    ) -> String {
        guard let parameter else { return reference.elsewhere ? reference.original : reference.name }
        let foreign = !parameter.scope.account.isEmpty && parameter.scope.account != context.accountID
        return foreign ? ParameterName.arn(parameter.name, in: parameter.scope, context) : parameter.name
    }

    func metadataJSON(
        _ parameter: StoredParameter, _ version: ParameterVersionRecord, _ context: RequestContext
    ) -> SensitiveJSON {
        var json = SensitiveJSON()
        json.string("Name", parameter.name)
        json.string("ARN", ParameterName.arn(parameter.name, in: parameter.scope, context))
        json.string("Type", version.type.rawValue)
        if let keyId = version.keyId { json.string("KeyId", keyId) }
        json.number("LastModifiedDate", version.modified)
        json.string("LastModifiedUser", version.modifiedBy)
        if let description = version.description { json.string("Description", description) }
        if let pattern = version.allowedPattern { json.string("AllowedPattern", pattern) }
        json.number("Version", version.version)
        json.string("Tier", version.tier)
        json.objects("Policies", ParameterPolicies.json(version.policies))
        json.string("DataType", version.dataType)
        return json
    }

    func getParameterHistory(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NameRequest.self, from: body)
        let reference = try ParameterName.parse(try requireName(request.name), context)
        let found = parameter(reference, context)
        try context.authorize([policyResource(found, reference, context)])
        var validator = Validator()
        validator.range(request.maxResults, "maxResults", min: 1, max: 50)
        try validator.check()
        guard let parameter = found, reference.selector == nil else {
            throw SealboxError.parameterNotFound("Parameter \(reference.name) not found.")
        }
        let name = parameter.name
        let label = { (version: ParameterVersionRecord) in String(String(version.version + 1_000_000).dropFirst()) }
        let (chosen, next) = try page(
            Array(parameter.versions), key: label, token: request.nextToken, limit: request.maxResults ?? 50)
        var entries: [SensitiveJSON] = []
        for version in chosen {
            var json = metadataJSON(parameter, version, context)
            if version.type == .secureString && request.withDecryption != true {
                json.string("Value", Base64.encode(version.value))
            } else {
                json.secretString("Value", try plaintext(of: version, named: name, context))
                if version.type == .secureString {
                    context.trail?.served(.parameter(name: name, scope: parameter.scope, version: version.version))
                }
            }
            json.strings("Labels", version.labels)
            entries.append(json)
        }
        var json = SensitiveJSON()
        json.objects("Parameters", entries)
        if let next { json.string("NextToken", next) }
        return json.render()
    }
}
