import Foundation
import SealboxCore
import SealboxCrypto

// Parameter Store writes: PutParameter (in group commits), DeleteParameter(s).
extension SSM {
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
        let checks = requests.enumerated().map { index, request in
            try? patternCheck(request.get(), calls[index].context)
        }
        let decoded = results
        var accepted: [(index: Int, response: PutParameterResponse)] = []
        do throws(SealboxError) {
            // A shared store's conflict is thrown out of the body, so the writer catches up and
            // prepares the whole group again on what the store now holds.
            try withWriter { () throws(SealboxError) in
                results = decoded
                accepted = []
                var writes = PreparedWrites()
                for (index, request) in requests.enumerated() {
                    guard case .success(let request) = request else { continue }
                    do {
                        let (version, tier) = try prepare(
                            request, calls[index].context, into: &writes, checked: checks[index])
                        accepted.append((index, PutParameterResponse(version: version, tier: tier)))
                    } catch let error as SealboxError where error.isStoreFailure {
                        throw error
                    } catch {
                        results[index] = .failure(AWSError(any: error))
                    }
                }
                guard !writes.changes.isEmpty else { return }
                try commit(writes.changes)
                for (index, response) in accepted { results[index] = .success(AWSJSON.encode(response)) }
            }
        } catch {
            for index in results.indices where results[index] == nil { results[index] = .failure(AWSError(error)) }
        }
        return results.map { $0! }
    }

    /// Writes many parameters as one transaction (fixtures): all of them or, at the first refusal,
    /// none.
    /// - Parameters:
    ///   - requests: PutParameter requests, each with the caller in the account and region it writes to.
    ///   - allowingPublic: takes public parameters (`/aws/service/...`), for fixtures.
    /// - Throws: the refusal, with the index of the request that caused it.
    func putParameters(
        _ requests: [(request: PutParameterRequest, context: RequestContext)], allowingPublic: Bool = false
    )
        throws(BatchError)
    {
        let checks = requests.map { patternCheck($0.request, $0.context) }
        try withWriter { () throws(BatchError) in
            var writes = PreparedWrites()
            for (index, (request, context)) in requests.enumerated() {
                do {
                    _ = try prepare(
                        request, context, into: &writes, checked: checks[index], allowingPublic: allowingPublic)
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
    struct PreparedWrites {
        var changes: [ParameterChange] = []
        var pending: [ParameterAddress: StoredParameter] = [:]
    }

    /// Checks the value against the pattern it will be written under (the request's, else the stored
    /// one); run before the writer lock.
    func patternCheck(_ request: PutParameterRequest, _ context: RequestContext) -> AllowedPatternCheck? {
        guard let name = request.name, let value = request.value,
            let pattern = request.allowedPattern ?? parameter(named: name, context)?.versions.last?.allowedPattern,
            !pattern.isEmpty
        else { return nil }
        return AllowedPatternCheck(value, against: pattern)
    }

    /// Validates a PutParameter request and adds its change to `writes`, without writing it; the
    /// caller holds the writer lock. A refused request leaves `writes` as it was.
    /// - Parameter checked: the value checked against its pattern before the lock was taken.
    /// - Returns: the version the change makes, and its tier.
    func prepare(
        _ request: PutParameterRequest,
        _ context: RequestContext,
        into writes: inout PreparedWrites,
        checked: AllowedPatternCheck? = nil,
        allowingPublic: Bool = false
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
        validator.length(request.policies, "policies", min: 1, max: 4096)
        let tags = validateTags(request.tags, &validator)
        try validator.check()
        var name = request.name!
        let value = request.value!
        try ParameterName.validate(name, context, allowingPublic: allowingPublic)
        let scope = ParameterName.scope(of: name, context)
        func known(_ name: String) -> StoredParameter? {
            let address = ParameterAddress(name, in: scope)
            return writes.pending[address] ?? parameter(named: name, in: scope)
        }
        // `db` and `/db` are one parameter: a put of either spelling writes the one that exists.
        if known(name) == nil, let other = ParameterName.otherSpelling(name), known(other) != nil { name = other }
        let address = ParameterAddress(name, in: scope)
        if ParameterName.isPublic(name), request.type == ParameterType.secureString.rawValue {
            throw SealboxError.validation("A public parameter (/aws/service/...) is a String or a StringList.")
        }
        try context.authorize([name])
        if request.tags != nil && request.overwrite == true {
            throw SealboxError.validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
            )
        }
        if tags.count > Self.maxTags {
            throw SealboxError.tooManyTags("A parameter may carry at most \(Self.maxTags) tags.")
        }
        let now = clock.now()
        let requestedPolicies = try request.policies.map { (text) throws(AWSError) in
            try ParameterPolicies.parse(text, now: now)
        }
        if let dataType = request.dataType, !DataType.names.contains(dataType) {
            throw SealboxError.validation(
                "The following data type is not supported: \(dataType) (Data type names are all lowercase.)")
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
            let existing = known(name)
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
            try DataType.check(request.dataType ?? previous?.dataType ?? "text", name: name, type: type, value: value)
            // Policies stay with the parameter until a put replaces them (`[]` removes them); a
            // notification sent for the previous version is pending again for this one.
            let policies =
                requestedPolicies
                ?? (previous?.policies ?? []).map { policy in
                    var policy = policy
                    if policy.kind == .noChangeNotification { policy.fired = false }
                    return policy
                }
            let tier = try resolveTier(
                request.tier, previous: previous?.tier,
                defaultTier: self.value(of: .defaultParameterTier, in: context.scope),
                valueLength: value.unicodeScalars.count, hasPolicies: !policies.isEmpty)
            let allowedPattern = request.allowedPattern ?? previous?.allowedPattern
            if let allowedPattern, !allowedPattern.isEmpty {
                // Checked again under the lock only when another write changed the pattern meanwhile.
                let check =
                    checked?.pattern == allowedPattern ? checked! : AllowedPatternCheck(value, against: allowedPattern)
                if let failure = check.failure { throw failure }
            }
            var parameter = existing ?? StoredParameter(name: name, scope: scope, tags: tags, versions: [])
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
                contextArn = ParameterName.arn(name, in: scope, context)
                stored = try seal(stored, keyReference: reference, contextArn: contextArn!, context)
            }
            parameter.versions.append(
                ParameterVersionRecord(
                    name: name, version: number, type: type, keyId: keyId,
                    description: request.description ?? previous?.description,
                    allowedPattern: allowedPattern, tier: tier,
                    dataType: request.dataType ?? previous?.dataType ?? DataType.text,
                    modified: now, modifiedBy: context.principal.description, labels: [], policies: policies,
                    contextArn: contextArn,
                    value: stored))
            writes.pending[address] = parameter
            writes.changes.append(
                ParameterChange(parameter: parameter, writtenVersions: [number], removedVersions: removed))
            return (number, tier)
        }
    }

    /// The tier a put gives the parameter: the one it names, else the account's default tier
    /// (`/ssm/parameter-store/default-parameter-tier`), and never down from Advanced. Intelligent-Tiering
    /// picks Advanced for a value over 4 KB or for parameter policies, which Standard does not take.
    func resolveTier(
        _ requested: String?, previous: String?, defaultTier: String, valueLength: Int, hasPolicies: Bool = false
    ) throws -> String {
        var tier = requested ?? (previous == "Advanced" ? "Advanced" : defaultTier)
        if tier == "Intelligent-Tiering" {
            tier = valueLength > Self.standardValueLimit || hasPolicies ? "Advanced" : "Standard"
        }
        if hasPolicies, tier == "Standard", previous != "Advanced" {
            throw SealboxError.validation(
                "Parameter policies are supported only for parameters in the advanced-parameter tier. Set Tier to Advanced or Intelligent-Tiering."
            )
        }
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

    func seal(_ value: [UInt8], keyReference: String, contextArn: String, _ context: RequestContext)
        throws -> [UInt8]
    {
        var value = value
        defer { value.withUnsafeMutableBytes { Sodium.zero($0) } }
        do {
            if keyReference == Self.defaultKeyAlias {
                try kms.ensureManagedKey(
                    alias: Self.defaultKeyAlias, in: context.scope,
                    description: "Default key that protects my SSM parameters when no other key is defined")
            }
            return try kms.sealValue(
                SecureBytes(copying: value), keyReference: keyReference,
                encryptionContext: .parameter(arn: contextArn), context: context
            ).ciphertext
        } catch {
            // The default key's creation raced another daemon's: the put's writer retries it.
            if error.isStoreFailure { throw error }
            throw AWSError.invalidKeyId(
                "The KMS key \(keyReference) cannot encrypt the parameter: \(AWSError(error).type)")
        }
    }

    func deleteParameter(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NameRequest.self, from: body)
        try delete(try requireName(request.name), context: context)
        return AWSJSON.encode(Empty())
    }

    func deleteParameters(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(NamesRequest.self, from: body)
        let (deleted, invalid) = try delete(try requireNames(request.names), context: context)
        return AWSJSON.encode(DeleteParametersResponse(deletedParameters: deleted, invalidParameters: invalid))
    }

    func requireNames(_ names: [String]?) throws -> [String] {
        var validator = Validator()
        validator.required(names, "names")
        if let names {
            validator.count(names, "names", min: 1, max: 10)
            for (index, name) in names.enumerated() {
                validator.length(name, "names.\(index + 1).member", min: 1, max: 2048)
            }
        }
        try validator.check()
        return names!
    }
}
