import Foundation
import SealboxCore
import SealboxCrypto

// One method per SSM operation: decode, validate as the model and AWS's documentation say, act, encode.
extension SSM {
    static let tiers = ["Standard", "Advanced", "Intelligent-Tiering"]
    static let standardValueLimit = 4096
    static let advancedValueLimit = 8192
    static let maxTags = 50

    // MARK: Shared

    private func requireName(_ name: String?, _ field: String = "name") throws -> String {
        var validator = Validator()
        validator.required(name, field)
        validator.length(name, field, min: 1, max: 2048)
        try validator.check()
        return name!
    }

    /// The parameter and version a reference names, or nil when there is none.
    private func find(
        _ reference: ParameterName.Reference
    ) throws -> (StoredParameter, ParameterVersionRecord)? {
        guard let parameter = parameters[reference.name] else { return nil }
        switch reference.selector {
        case nil:
            return (parameter, parameter.versions.last!)
        case .version(let number):
            guard let version = parameter.versions.first(where: { $0.version == number }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(number) of \(reference.name). Verify the version and try again."
                )
            }
            return (parameter, version)
        case .label(let label):
            guard let version = parameter.versions.first(where: { $0.labels.contains(label) }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find label \(label) of \(reference.name). Verify the label and try again."
                )
            }
            return (parameter, version)
        }
    }

    /// A `Parameter` object; the value is decrypted only when asked, else a SecureString shows its ciphertext.
    private func parameterJSON(
        _ name: String,
        _ version: ParameterVersionRecord,
        selector: ParameterName.Selector?,
        decrypt: Bool,
        _ context: RequestContext
    ) throws -> SensitiveJSON {
        let arn = ParameterName.arn(name, context)
        var json = SensitiveJSON()
        json.string("Name", name)
        json.string("Type", version.type.rawValue)
        if version.type == .secureString && !decrypt {
            json.string("Value", Base64.encode(version.value))
        } else {
            json.secretString("Value", try plaintext(of: version, named: name, arn: arn, context))
            if version.type == .secureString { context.trail?.served(.parameter(name: name, version: version.version)) }
        }
        json.number("Version", version.version)
        if let selector { json.string("Selector", selector.text) }
        json.number("LastModifiedDate", version.modified)
        json.string("ARN", arn)
        json.string("DataType", version.dataType)
        return json
    }

    /// A page of `items` (sorted by `key`) after the one an opaque NextToken names.
    private func page<T>(
        _ items: [T],
        key: (T) -> String,
        token: String?,
        limit: Int,
        scope: String = #function
    ) throws -> (items: ArraySlice<T>, next: String?) {
        guard let page = PageToken.page(items, sortKey: key, after: token, limit: limit, scope: "ssm." + scope) else {
            throw AWSError.invalidNextToken("The nextToken is not valid")
        }
        return page
    }

    private func validateTags(_ tags: [SSMTag]?, _ validator: inout Validator) -> [KeyTag] {
        var result: [KeyTag] = []
        for (index, tag) in (tags ?? []).enumerated() {
            validator.required(tag.key, "tags.\(index + 1).member.key")
            validator.required(tag.value, "tags.\(index + 1).member.value")
            validator.length(tag.key, "tags.\(index + 1).member.key", min: 1, max: 128)
            validator.length(tag.value, "tags.\(index + 1).member.value", max: 256)
            let pattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"
            validator.pattern(tag.key, "tags.\(index + 1).member.key", pattern, allowed: Self.isTagCharacter)
            validator.pattern(tag.value, "tags.\(index + 1).member.value", pattern, allowed: Self.isTagCharacter)
            if let key = tag.key, let value = tag.value {
                result.removeAll { $0.key == key }
                result.append(KeyTag(key: key, value: value))
            }
        }
        return result
    }

    /// Letters, separators, numbers and `_.:/=+-@`, as the model's tag pattern allows.
    static func isTagCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spaceSeparator,
            .lineSeparator, .paragraphSeparator, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return "_.:/=+-@".unicodeScalars.contains(scalar)
        }
    }

    // MARK: Writing

    /// PutParameter for a group of callers, in one transaction: one `fsync` for the group instead of
    /// one per write. Each request is checked on its own, as if the group's earlier ones were already
    /// written; a refused request fails alone, while a failed commit fails every request it held.
    /// - Parameter calls: PutParameter calls, in the order they are applied.
    /// - Returns: each call's answer, in the same order.
    func putParameters(_ calls: [AWSCall]) -> [Result<ResponseBody, AWSError>] {
        let requests = calls.map { call in
            Result { () throws(AWSError) in try AWSJSON.decode(PutParameterRequest.self, from: call.body) }
        }
        var results: [Result<ResponseBody, AWSError>?] = requests.map { request in
            if case .failure(let error) = request { .failure(error) } else { nil }
        }
        withWriter {
            var writes = PreparedWrites()
            var accepted: [(index: Int, response: PutParameterResponse)] = []
            for (index, request) in requests.enumerated() {
                guard case .success(let request) = request else { continue }
                do {
                    let (version, tier) = try prepare(request, calls[index].context, into: &writes)
                    accepted.append((index, PutParameterResponse(version: version, tier: tier)))
                } catch {
                    results[index] = .failure(AWSError(any: error))
                }
            }
            guard !writes.changes.isEmpty else { return }
            do throws(SealboxError) {
                try commit(writes.changes)
                for (index, response) in accepted { results[index] = .success(AWSJSON.encode(response)) }
            } catch {
                for (index, _) in accepted { results[index] = .failure(AWSError(error)) }
            }
        }
        return results.map { $0! }
    }

    /// Writes many parameters as one transaction (fixtures): all of them or, at the first refusal,
    /// none.
    /// - Parameters:
    ///   - requests: PutParameter requests.
    ///   - context: the caller.
    /// - Throws: the refusal, with the index of the request that caused it.
    func putParameters(_ requests: [PutParameterRequest], _ context: RequestContext) throws(BatchError) {
        try withWriter { () throws(BatchError) in
            var writes = PreparedWrites()
            for (index, request) in requests.enumerated() {
                do {
                    _ = try prepare(request, context, into: &writes)
                } catch {
                    throw BatchError(index: index, error: AWSError(any: error))
                }
            }
            do throws(SealboxError) {
                try commit(writes.changes)
            } catch {
                throw BatchError(index: nil, error: AWSError(error))
            }
        }
    }

    /// A batch write refused: which request, and why.
    struct BatchError: Error {
        var index: Int?
        var error: AWSError
    }

    /// Changes prepared for one transaction, and the parameters as they stand after them: each request
    /// is checked as if the earlier ones were already written.
    private struct PreparedWrites {
        var changes: [ParameterChange] = []
        var pending: [String: StoredParameter] = [:]
    }

    /// Validates a PutParameter request and adds its change to `writes`, without writing it; the
    /// caller holds the writer lock. A refused request leaves `writes` as it was.
    /// - Returns: the version the change makes, and its tier.
    private func prepare(
        _ request: PutParameterRequest,
        _ context: RequestContext,
        into writes: inout PreparedWrites
    ) throws -> (version: Int, tier: String) {
        var validator = Validator()
        validator.required(request.name, "name")
        validator.length(request.name, "name", min: 1, max: 2048)
        validator.required(request.value, "value")
        validator.length(request.description, "description", max: 1024)
        validator.length(request.keyId, "keyId", min: 1, max: 256)
        validator.pattern(request.keyId, "keyId", "^([a-zA-Z0-9:/_-]+)$") { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ":", "/", "_", "-": true
            default: false
            }
        }
        validator.length(request.allowedPattern, "allowedPattern", max: 1024)
        validator.oneOf(request.type, "type", ParameterType.allCases.map(\.rawValue))
        validator.oneOf(request.tier, "tier", Self.tiers)
        validator.length(request.dataType, "dataType", max: 128)
        let tags = validateTags(request.tags, &validator)
        try validator.check()
        let name = request.name!
        let value = request.value!
        try ParameterName.validate(name, context)
        try context.authorize([name])
        if request.tags != nil && request.overwrite == true {
            throw SealboxError.validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
            )
        }
        if tags.count > Self.maxTags {
            throw SealboxError.tooManyTags("A parameter may carry at most \(Self.maxTags) tags.")
        }
        if request.policies != nil {
            throw SealboxError.validation("Parameter policies are not supported by Sealbox.")
        }
        if let dataType = request.dataType, dataType != "text" {
            throw SealboxError.validation(
                "The following data type is not supported: \(dataType) (Sealbox stores text parameters only)")
        }
        if value.contains("{{") && value.contains("}}") {
            throw SealboxError.validation(
                "Parameter value can't nest another parameter. Do not use \"{{}}\" in the value.")
        }
        guard !value.isEmpty else {
            throw SealboxError.validation(
                "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        }
        do {
            let existing = writes.pending[name] ?? parameters[name]
            let previous = existing?.versions.last
            if existing != nil && request.overwrite != true {
                throw SealboxError.parameterAlreadyExists(
                    "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
                )
            }
            guard let typeName = request.type ?? previous?.type.rawValue, let type = ParameterType(rawValue: typeName)
            else {
                throw SealboxError.validation("A parameter type is required when you create a parameter.")
            }
            if request.keyId != nil && type != .secureString {
                throw SealboxError.validation("KeyId is required for SecureString type parameter only.")
            }
            let tier = try resolveTier(request.tier, previous: previous?.tier, valueLength: value.unicodeScalars.count)
            let allowedPattern = request.allowedPattern ?? previous?.allowedPattern
            if let allowedPattern, !allowedPattern.isEmpty {
                guard let regex = try? NSRegularExpression(pattern: allowedPattern) else {
                    throw SealboxError.invalidAllowedPattern(
                        "The allowed pattern \(allowedPattern) is not a valid regular expression.")
                }
                let range = NSRange(value.startIndex..<value.endIndex, in: value)
                guard regex.firstMatch(in: value, range: range) != nil else {
                    throw SealboxError.parameterPatternMismatch(
                        "Parameter value, cannot be validated against allowedPattern: \(allowedPattern)")
                }
            }
            var parameter = existing ?? StoredParameter(name: name, tags: tags, versions: [])
            var removed: [Int] = []
            if parameter.versions.count >= Self.maxVersions {
                let oldest = parameter.versions[0]
                guard oldest.labels.isEmpty else {
                    throw SealboxError.parameterMaxVersionLimitExceeded(
                        "You attempted to create a new version of \(name) by calling the PutParameter API with the overwrite flag. Version \(oldest.version), the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again."
                    )
                }
                removed.append(oldest.version)
                parameter.versions.removeFirst()
            }
            let number = (previous?.version ?? 0) + 1
            var keyId: String? = nil
            var contextArn: String? = nil
            var stored = Array(value.utf8)
            if type == .secureString {
                let reference =
                    request.keyId ?? (previous?.type == .secureString ? previous?.keyId : nil) ?? Self.defaultKeyAlias
                keyId = reference
                contextArn = ParameterName.arn(name, context)
                stored = try seal(stored, keyReference: reference, contextArn: contextArn!, context)
            }
            parameter.versions.append(
                ParameterVersionRecord(
                    name: name, version: number, type: type, keyId: keyId,
                    description: request.description ?? previous?.description,
                    allowedPattern: allowedPattern, tier: tier,
                    dataType: request.dataType ?? previous?.dataType ?? "text",
                    modified: clock.now(), modifiedBy: context.principal.description, labels: [],
                    contextArn: contextArn,
                    value: stored))
            writes.pending[name] = parameter
            writes.changes.append(
                ParameterChange(parameter: parameter, writtenVersions: [number], removedVersions: removed))
            return (number, tier)
        }
    }

    private func resolveTier(_ requested: String?, previous: String?, valueLength: Int) throws -> String {
        var tier = requested ?? previous ?? "Standard"
        if tier == "Intelligent-Tiering" { tier = valueLength > Self.standardValueLimit ? "Advanced" : "Standard" }
        if previous == "Advanced" && tier == "Standard" && requested != "Intelligent-Tiering" {
            throw SealboxError.validation(
                "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier."
            )
        }
        if previous == "Advanced" && tier == "Standard" { tier = "Advanced" }
        let limit = tier == "Advanced" ? Self.advancedValueLimit : Self.standardValueLimit
        if valueLength > limit {
            throw SealboxError.validation(
                tier == "Advanced"
                    ? "Advanced tier parameters support a maximum parameter value of \(limit) characters."
                    : "Standard tier parameters support a maximum parameter value of \(limit) characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
            )
        }
        return tier
    }

    private func seal(_ value: [UInt8], keyReference: String, contextArn: String, _ context: RequestContext)
        throws(AWSError) -> [UInt8]
    {
        var value = value
        defer { value.withUnsafeMutableBytes { Sodium.zero($0) } }
        do {
            if keyReference == Self.defaultKeyAlias {
                try kms.ensureManagedKey(
                    alias: Self.defaultKeyAlias,
                    description: "Default key that protects my SSM parameters when no other key is defined")
            }
            return try kms.sealValue(
                SecureBytes(copying: value), keyReference: keyReference,
                encryptionContext: .parameter(arn: contextArn), context: context
            ).ciphertext
        } catch {
            throw AWSError.invalidKeyId(
                "The KMS key \(keyReference) cannot encrypt the parameter: \(AWSError(error).type)")
        }
    }

    func deleteParameter(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NameRequest.self, from: body)
        let name = try ParameterName.parse(try requireName(request.name), context).name
        try context.authorize([name])
        try withWriter { () throws(SealboxError) in
            guard parameters[name] != nil else { throw SealboxError.parameterNotFound("Parameter \(name) not found.") }
            try commit(ParameterChange(parameter: nil, writtenVersions: [], deletedNames: [name]))
        }
        return AWSJSON.encode(Empty())
    }

    func deleteParameters(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NamesRequest.self, from: body)
        let names = try requireNames(request.names)
        try context.authorize(names.compactMap { try? ParameterName.parse($0, context).name })
        let result = try withWriter { () throws -> DeleteParametersResponse in
            var deleted: [String] = []
            var invalid: [String] = []
            for text in names {
                let name = try? ParameterName.parse(text, context).name
                if let name, deleted.contains(name) { continue }
                guard let name, parameters[name] != nil else {
                    invalid.append(text)
                    continue
                }
                deleted.append(name)
            }
            if !deleted.isEmpty {
                try commit(ParameterChange(parameter: nil, writtenVersions: [], deletedNames: deleted))
            }
            return DeleteParametersResponse(deletedParameters: deleted, invalidParameters: invalid)
        }
        return AWSJSON.encode(result)
    }

    private func requireNames(_ names: [String]?) throws -> [String] {
        var validator = Validator()
        validator.required(names, "names")
        if let names {
            if names.isEmpty || names.count > 10 {
                validator.custom(
                    "Value '[\(names.joined(separator: ", "))]' at 'names' failed to satisfy constraint: Member must have length \(names.isEmpty ? "greater than or equal to 1" : "less than or equal to 10")"
                )
            }
            for (index, name) in names.enumerated() {
                validator.length(name, "names.\(index + 1).member", min: 1, max: 2048)
            }
        }
        try validator.check()
        return names!
    }

    // MARK: Reading

    func getParameter(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NameRequest.self, from: body)
        return try parameterResponse(
            try requireName(request.name), decrypt: request.withDecryption == true, resultMetadata: false, context)
    }

    /// GetParameter's answer, also served by the Lambda extension's
    /// `GET /systemsmanager/parameters/get`, which adds an empty `ResultMetadata`.
    /// - Parameters:
    ///   - name: the name, ARN, or either with a `:version` / `:label` selector.
    ///   - decrypt: open a SecureString.
    ///   - resultMetadata: add the extension's `"ResultMetadata": {}`.
    ///   - context: the caller.
    public func parameterResponse(
        _ name: String,
        decrypt: Bool,
        resultMetadata: Bool,
        _ context: RequestContext
    ) throws -> ResponseBody {
        let reference = try ParameterName.parse(name, context)
        try context.authorize([reference.name])
        guard let (parameter, version) = try find(reference) else {
            throw SealboxError.parameterNotFound("Parameter \(reference.name) not found.")
        }
        var json = SensitiveJSON()
        json.object(
            "Parameter",
            try parameterJSON(parameter.name, version, selector: reference.selector, decrypt: decrypt, context))
        if resultMetadata { json.object("ResultMetadata", SensitiveJSON()) }
        return json.render()
    }

    func getParameters(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NamesRequest.self, from: body)
        let names = try requireNames(request.names)
        try context.authorize(names.compactMap { try? ParameterName.parse($0, context).name })
        var found: [(sortKey: String, text: String, json: SensitiveJSON)] = []
        var invalid: [String] = []
        for text in names {
            guard let reference = try? ParameterName.parse(text, context), let hit = try? find(reference) else {
                if !invalid.contains(text) { invalid.append(text) }
                continue
            }
            guard !found.contains(where: { $0.text == text }) else { continue }
            let (parameter, version) = hit
            found.append(
                (
                    parameter.name + "\u{0}" + (reference.selector?.text ?? ""), text,
                    try parameterJSON(
                        parameter.name, version, selector: reference.selector, decrypt: request.withDecryption == true,
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
        try validator.check()
        let path = request.path!
        guard path.hasPrefix("/"), path == "/" || !path.hasSuffix("/") || path.count > 1 else {
            throw SealboxError.validation("The parameter path must start with /. For example: /Dev/Production/East")
        }
        let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if ParameterName.levels(normalized) > ParameterName.maxLevels {
            throw SealboxError.hierarchyLevelLimitExceeded("The path has more than \(ParameterName.maxLevels) levels")
        }
        let filters = try (request.parameterFilters ?? []).enumerated().map { (index, filter) throws in
            try ParameterFilter(
                key: filter.key, option: filter.option, values: filter.values, use: .byPath, index: index)
        }
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
        for name in sortedNames(withPrefix: prefix, after: after)
        where ParameterName.isUnder(name, path: normalized, recursive: recursive) {
            guard let parameter = parameters[name], filters.allSatisfy({ $0.matches(parameter) }) else { continue }
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
                try parameterJSON(item.0.name, item.1, selector: nil, decrypt: request.withDecryption == true, context)
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
            validator.oneOf(filter.key, "filters.\(index + 1).member.key", ["Name", "Type", "KeyId"])
        }
        try validator.check()
        if request.filters != nil && request.parameterFilters != nil {
            throw SealboxError.validation(
                "You can use either Filters or ParameterFilters in a single request, but not both.")
        }
        var filters = try (request.parameterFilters ?? []).enumerated().map { (index, filter) throws in
            try ParameterFilter(
                key: filter.key, option: filter.option, values: filter.values, use: .describe, index: index)
        }
        for (index, filter) in (request.filters ?? []).enumerated() {
            // The deprecated Filters: Name means "begins with", the others "equals".
            filters.append(
                try ParameterFilter(
                    key: filter.key, option: filter.key == "Name" ? "BeginsWith" : "Equals", values: filter.values,
                    use: .describe, index: index))
        }
        let matches = sortedNames().compactMap { parameters[$0] }.filter { parameter in
            filters.allSatisfy { $0.matches(parameter) }
        }
        let (chosen, next) = try page(matches, key: \.name, token: request.nextToken, limit: request.maxResults ?? 10)
        var json = SensitiveJSON()
        json.objects("Parameters", chosen.map { metadataJSON($0, $0.versions.last!, context) })
        if let next { json.string("NextToken", next) }
        return json.render()
    }

    private func metadataJSON(
        _ parameter: StoredParameter, _ version: ParameterVersionRecord, _ context: RequestContext
    ) -> SensitiveJSON {
        var json = SensitiveJSON()
        json.string("Name", parameter.name)
        json.string("ARN", ParameterName.arn(parameter.name, context))
        json.string("Type", version.type.rawValue)
        if let keyId = version.keyId { json.string("KeyId", keyId) }
        json.number("LastModifiedDate", version.modified)
        json.string("LastModifiedUser", version.modifiedBy)
        if let description = version.description { json.string("Description", description) }
        if let pattern = version.allowedPattern { json.string("AllowedPattern", pattern) }
        json.number("Version", version.version)
        json.string("Tier", version.tier)
        json.objects("Policies", [])
        json.string("DataType", version.dataType)
        return json
    }

    func getParameterHistory(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NameRequest.self, from: body)
        let name = try ParameterName.parse(try requireName(request.name), context).name
        try context.authorize([name])
        var validator = Validator()
        validator.range(request.maxResults, "maxResults", min: 1, max: 50)
        try validator.check()
        guard let parameter = parameters[name] else {
            throw SealboxError.parameterNotFound("Parameter \(name) not found.")
        }
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
                    context.trail?.served(.parameter(name: name, version: version.version))
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

    // MARK: Labels

    func labelParameterVersion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(LabelRequest.self, from: body)
        let name = try ParameterName.parse(try requireName(request.name), context).name
        try context.authorize([name])
        let labels = try requireLabels(request.labels)
        let result = try withWriter { () throws -> LabelParameterVersionResponse in
            guard var parameter = parameters[name] else {
                throw SealboxError.parameterNotFound("Parameter \(name) not found.")
            }
            let number = request.parameterVersion ?? parameter.versions.last!.version
            guard let target = parameter.versions.firstIndex(where: { $0.version == number }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(number) of \(name). Verify the version and try again.")
            }
            let valid = labels.filter(ParameterName.isValidLabel)
            let invalid = labels.filter { !ParameterName.isValidLabel($0) }
            var written = Set<Int>()
            for index in parameter.versions.indices where index != target {
                let before = parameter.versions[index].labels.count
                parameter.versions[index].labels.removeAll(where: valid.contains)
                if parameter.versions[index].labels.count != before {
                    written.insert(parameter.versions[index].version)
                }
            }
            for label in valid where !parameter.versions[target].labels.contains(label) {
                parameter.versions[target].labels.append(label)
                written.insert(number)
            }
            guard parameter.versions[target].labels.count <= Self.maxLabelsPerVersion else {
                throw SealboxError.parameterVersionLabelLimitExceeded(
                    "A parameter version can have maximum \(Self.maxLabelsPerVersion) labels.")
            }
            if !written.isEmpty { try commit(ParameterChange(parameter: parameter, writtenVersions: written.sorted())) }
            return LabelParameterVersionResponse(invalidLabels: invalid, parameterVersion: number)
        }
        return AWSJSON.encode(result)
    }

    func unlabelParameterVersion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(LabelRequest.self, from: body)
        let name = try ParameterName.parse(try requireName(request.name), context).name
        try context.authorize([name])
        var validator = Validator()
        validator.required(request.parameterVersion, "parameterVersion")
        try validator.check()
        let labels = try requireLabels(request.labels)
        let result = try withWriter { () throws -> UnlabelParameterVersionResponse in
            guard var parameter = parameters[name] else {
                throw SealboxError.parameterNotFound("Parameter \(name) not found.")
            }
            guard let target = parameter.versions.firstIndex(where: { $0.version == request.parameterVersion! }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(request.parameterVersion!) of \(name). Verify the version and try again."
                )
            }
            let removed = labels.filter(parameter.versions[target].labels.contains)
            let invalid = labels.filter { !removed.contains($0) }
            if !removed.isEmpty {
                parameter.versions[target].labels.removeAll(where: removed.contains)
                try commit(ParameterChange(parameter: parameter, writtenVersions: [parameter.versions[target].version]))
            }
            return UnlabelParameterVersionResponse(removedLabels: removed, invalidLabels: invalid)
        }
        return AWSJSON.encode(result)
    }

    private func requireLabels(_ labels: [String]?) throws -> [String] {
        var validator = Validator()
        validator.required(labels, "labels")
        if let labels, labels.isEmpty || labels.count > 10 {
            validator.custom(
                "Value '[\(labels.joined(separator: ", "))]' at 'labels' failed to satisfy constraint: Member must have length \(labels.isEmpty ? "greater than or equal to 1" : "less than or equal to 10")"
            )
        }
        for (index, label) in (labels ?? []).enumerated() {
            validator.length(label, "labels.\(index + 1).member", min: 1, max: 100)
        }
        try validator.check()
        return labels!
    }

    // MARK: Tags

    private func taggedParameter(_ request: TagsRequest, _ context: RequestContext) throws -> String {
        var validator = Validator()
        validator.required(request.resourceType, "resourceType")
        validator.oneOf(
            request.resourceType, "resourceType",
            [
                "Document", "ManagedInstance", "MaintenanceWindow", "Parameter", "PatchBaseline", "OpsItem",
                "OpsMetadata", "Automation", "Association",
            ])
        validator.required(request.resourceId, "resourceId")
        try validator.check()
        guard request.resourceType == "Parameter" else {
            throw SealboxError.invalidResourceType("Sealbox tags only resources of type Parameter")
        }
        guard let name = try? ParameterName.parse(request.resourceId!, context).name, parameters[name] != nil else {
            throw SealboxError.invalidResourceId(
                "The resource ID \(request.resourceId!) is not valid. Verify the ID and try again.")
        }
        return name
    }

    func addTagsToResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagsRequest.self, from: body)
        var validator = Validator()
        validator.required(request.tags, "tags")
        let tags = validateTags(request.tags, &validator)
        try validator.check()
        let name = try taggedParameter(request, context)
        try context.authorize([name])
        try updateTags(name) { (current) throws(SealboxError) in
            for tag in tags {
                current.removeAll { $0.key == tag.key }
                current.append(tag)
            }
            guard current.count <= Self.maxTags else {
                throw SealboxError.tooManyTags("A parameter may carry at most \(Self.maxTags) tags.")
            }
        }
        return AWSJSON.encode(Empty())
    }

    /// Changes a parameter's tags under the writer lock and commits them.
    private func updateTags(_ name: String, _ change: (inout [KeyTag]) throws(SealboxError) -> Void)
        throws(SealboxError)
    {
        try withWriter { () throws(SealboxError) in
            guard var parameter = parameters[name] else {
                throw SealboxError.invalidResourceId("The resource ID \(name) is not valid.")
            }
            try change(&parameter.tags)
            try commit(ParameterChange(parameter: parameter, writtenVersions: []))
        }
    }

    func removeTagsFromResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagsRequest.self, from: body)
        var validator = Validator()
        validator.required(request.tagKeys, "tagKeys")
        try validator.check()
        let name = try taggedParameter(request, context)
        try context.authorize([name])
        let keys = request.tagKeys!
        try updateTags(name) { current in current.removeAll { keys.contains($0.key) } }
        return AWSJSON.encode(Empty())
    }

    func listTagsForResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagsRequest.self, from: body)
        let name = try taggedParameter(request, context)
        try context.authorize([name])
        let tags = parameters[name]?.tags ?? []
        return AWSJSON.encode(ListTagsForResourceResponse(tagList: tags.map { SSMTag(key: $0.key, value: $0.value) }))
    }
}
