import Foundation
import SealboxCore
import SealboxCrypto

// KMS grant operations: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.
extension KMS {
    /// `PrincipalIdType`'s pattern, `^[\w+=,.@:/-]+$`.
    private static func isPrincipalCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "+", "=", ",", ".", "@", ":", "/", "-": true
        default: false
        }
    }

    /// `GrantNameType`'s pattern, `^[a-zA-Z0-9:/_-]+$`.
    private static func isGrantNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ":", "/", "_", "-": true
        default: false
        }
    }

    private func validate(principal: String?, _ field: String, _ validator: inout Validator) {
        validator.length(principal, field, min: 1, max: 256)
        validator.pattern(principal, field, "^[\\w+=,.@:/-]+$", allowed: Self.isPrincipalCharacter)
    }

    /// Refuses a principal of the model's form that names no AWS principal, as AWS does.
    private func requirePrincipal(_ principal: String) throws {
        guard AWSPrincipal.isValid(principal) else {
            throw SealboxError.invalidArn("\(principal) is not a valid principal ARN.")
        }
    }

    func createGrant(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(CreateGrantRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(request.granteePrincipal, "granteePrincipal")
        validate(principal: request.granteePrincipal, "granteePrincipal", &validator)
        validate(principal: request.retiringPrincipal, "retiringPrincipal", &validator)
        validator.required(request.operations, "operations")
        if let operations = request.operations {
            let allowed = GrantOperation.allCases.map(\.rawValue)
            if operations.contains(where: { !allowed.contains($0) }) {
                validator.custom(
                    "Value '[\(operations.joined(separator: ", "))]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]]"
                )
            } else if operations.isEmpty {
                validator.custom(
                    "Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1"
                )
            }
        }
        validator.length(request.name, "name", min: 1, max: 256)
        validator.pattern(request.name, "name", "^[a-zA-Z0-9:/_-]+$", allowed: Self.isGrantNameCharacter)
        validate(grantTokens: request.grantTokens, &validator)
        try validator.check()
        try requirePrincipal(request.granteePrincipal!)
        if let retiring = request.retiringPrincipal { try requirePrincipal(retiring) }
        var operations: [GrantOperation] = []
        for name in request.operations! where !operations.contains(GrantOperation(rawValue: name)!) {
            operations.append(GrantOperation(rawValue: name)!)
        }
        let grant = try createGrant(
            GrantRequest(
                key: request.keyId!, grantee: request.granteePrincipal!, retiring: request.retiringPrincipal,
                operations: operations, constraint: try constraint(request.constraints), name: request.name),
            context: context, commit: request.dryRun != true)
        try checkDryRun(request.dryRun)
        return AWSJSON.encode(CreateGrantResponse(grantToken: GrantToken.make(grantID: grant.id), grantId: grant.id))
    }

    /// The one constraint a request names; AWS refuses two at once.
    private func constraint(_ wire: WireGrantConstraints?) throws -> GrantConstraint? {
        switch (wire?.encryptionContextSubset, wire?.encryptionContextEquals) {
        case (let subset?, nil): GrantConstraint(.subset, subset)
        case (nil, let equals?): GrantConstraint(.equals, equals)
        case (nil, nil): nil
        case (.some, .some): throw SealboxError.validation("More than one constraint supplied")
        }
    }

    func listGrants(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListGrantsRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.length(request.grantId, "grantId", min: 1, max: 128)
        validate(principal: request.granteePrincipal, "granteePrincipal", &validator)
        try validator.check()
        let (limit, marker) = try paging(
            ListRequest(keyId: request.keyId, limit: request.limit, marker: request.marker), maxLimit: 100,
            defaultLimit: 50)
        let grantID = try request.grantId.map { (id) throws(SealboxError) in try Self.wellFormed(id) }
        let (_, all) = try listGrants(of: request.keyId!, context: context)
        let chosen = all.filter { grant in
            (grantID == nil || grant.id == grantID) && (request.granteePrincipal.map { $0 == grant.grantee } ?? true)
        }
        return try grantPage(chosen, after: marker, limit: limit, context)
    }

    func listRetirableGrants(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListRetirableGrantsRequest.self, from: body)
        var validator = Validator()
        validator.required(request.retiringPrincipal, "retiringPrincipal")
        validate(principal: request.retiringPrincipal, "retiringPrincipal", &validator)
        try validator.check()
        let (limit, marker) = try paging(
            ListRequest(limit: request.limit, marker: request.marker), maxLimit: 100, defaultLimit: 50)
        try requirePrincipal(request.retiringPrincipal!)
        let chosen = try listRetirableGrants(of: request.retiringPrincipal!, context: context)
        return try grantPage(chosen, after: marker, limit: limit, context)
    }

    /// A page of grants in creation order, as `GrantListEntry` values.
    private func grantPage(_ grants: [GrantRecord], after marker: String?, limit: Int, _ context: RequestContext)
        throws -> ResponseBody
    {
        // Creation time in zero-padded microseconds, then the id: text that sorts as the grants do.
        func sortKey(_ grant: GrantRecord) -> String {
            let micros = String(Int64((grant.created * 1_000_000).rounded()))
            return String(repeating: "0", count: max(0, 20 - micros.count)) + micros + "/" + grant.id
        }
        let sorted = grants.sorted { sortKey($0) < sortKey($1) }
        guard let page = PageToken.page(sorted, sortKey: sortKey, after: marker, limit: limit, scope: "kms.grants")
        else {
            throw AWSError.invalidMarker("Invalid marker")
        }
        return AWSJSON.encode(
            ListGrantsResponse(
                grants: page.items.map { grant in
                    GrantListEntry(
                        keyId: "arn:aws:kms:\(context.region):\(context.accountID):key/\(grant.keyID)",
                        grantId: grant.id, name: grant.name, creationDate: grant.created,
                        granteePrincipal: grant.grantee, retiringPrincipal: grant.retiring,
                        issuingAccount: grant.issuingAccount, operations: grant.operations.map(\.rawValue),
                        constraints: grant.constraint.map { constraint in
                            constraint.kind == .subset
                                ? WireGrantConstraints(encryptionContextSubset: constraint.context)
                                : WireGrantConstraints(encryptionContextEquals: constraint.context)
                        })
                },
                nextMarker: page.next, truncated: page.next != nil))
    }

    func retireGrant(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(RetireGrantRequest.self, from: body)
        var validator = Validator()
        validator.length(request.grantToken, "grantToken", min: 1, max: GrantToken.maxLength, sensitive: true)
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.length(request.grantId, "grantId", min: 1, max: 128)
        try validator.check()
        try retireGrant(
            token: request.grantToken, key: request.keyId, grantID: request.grantId, context: context,
            commit: request.dryRun != true)
        try checkDryRun(request.dryRun)
        return AWSJSON.encode(Empty())
    }

    func revokeGrant(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(RevokeGrantRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(request.grantId, "grantId")
        validator.length(request.grantId, "grantId", min: 1, max: 128)
        try validator.check()
        try revokeGrant(request.grantId!, key: request.keyId!, context: context, commit: request.dryRun != true)
        try checkDryRun(request.dryRun)
        return AWSJSON.encode(Empty())
    }
}
