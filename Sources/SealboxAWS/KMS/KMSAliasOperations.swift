import Foundation
import SealboxCore
import SealboxCrypto

// KMS alias operations.
extension KMS {
    private func validateAliasName(_ name: String?) throws -> String {
        var validator = Validator()
        validator.required(name, "aliasName")
        validator.length(name, "aliasName", min: 1, max: 256)
        validator.pattern(name, "aliasName", "^[a-zA-Z0-9:/_-]+$") { Self.isAliasCharacter($0) || $0 == ":" }
        try validator.check()
        let name = name!
        guard name.hasPrefix("alias/"), name.count > 6, name.unicodeScalars.allSatisfy(Self.isAliasCharacter) else {
            throw SealboxError.validation("Alias must start with the prefix \"alias/\" and use only a-zA-Z0-9/_-")
        }
        if name.hasPrefix("alias/aws/") {
            throw SealboxError.notAuthorized(
                "Cannot create, update or delete an alias with the reserved prefix alias/aws/")
        }
        return name
    }

    private static func isAliasCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "/", "_", "-": true
        default: false
        }
    }

    private func aliasTarget(_ targetKeyId: String?) throws -> String {
        let target = try requireKeyId(targetKeyId, "targetKeyId")
        if target.hasPrefix("alias/") || target.contains(":alias/") {
            throw SealboxError.validation("Aliases must refer to keys. Not aliases")
        }
        return target
    }

    func createAlias(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(AliasRequest.self, from: body)
        let name = try validateAliasName(request.aliasName)
        try createAlias(name, target: try aliasTarget(request.targetKeyId), context: context)
        return AWSJSON.encode(Empty())
    }

    func updateAlias(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(AliasRequest.self, from: body)
        let name = try validateAliasName(request.aliasName)
        try updateAlias(name, target: try aliasTarget(request.targetKeyId), context: context)
        return AWSJSON.encode(Empty())
    }

    func deleteAlias(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(AliasRequest.self, from: body)
        try deleteAlias(try validateAliasName(request.aliasName), context: context)
        return AWSJSON.encode(Empty())
    }

    func listAliases(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        let (limit, marker) = try paging(request, maxLimit: 100, defaultLimit: 50)
        var filter: KeyID? = nil
        if let keyId = request.keyId {
            filter = try resolve(try requireKeyId(keyId), context, allowAlias: false).id
        }
        let scope = context.scope
        let chosen = aliases.values
            .filter { alias in
                alias.scope == scope && present(alias.target) != nil && (filter == nil || alias.keyID == filter)
            }
            .sorted { $0.name < $1.name }
        let page = try Self.page(chosen.map(\.name), after: marker, limit: limit)
        let byName = Dictionary(uniqueKeysWithValues: chosen.map { ($0.name, $0) })
        return AWSJSON.encode(
            ListAliasesResponse(
                aliases: page.items.map { name in
                    let alias = byName[name]!
                    return AliasListEntry(
                        aliasName: name, aliasArn: aliasArn(name, context), targetKeyId: alias.keyID.description,
                        creationDate: alias.created, lastUpdatedDate: alias.updated)
                },
                nextMarker: page.nextMarker, truncated: page.nextMarker != nil))
    }
}
