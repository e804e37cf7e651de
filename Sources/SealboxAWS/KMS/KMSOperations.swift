import Foundation
import SealboxCore
import SealboxCrypto

// What the KMS operations share: validation with AWS's messages, key metadata and paging. Each
// operation is one method, in the file of its group: decode, validate as the model says, act, encode.
extension KMS {
    static let keyIdMax = 2048
    static let plaintextMax = 4096

    func keyMetadata(_ key: LiveKey, _ context: RequestContext) -> KeyMetadata {
        let record = key.record
        let encryptionAlgorithms = record.spec.encryptionAlgorithms(record.usage)
        return KeyMetadata(
            aWSAccountId: context.accountID, keyId: record.id.description, arn: key.arn(context),
            creationDate: record.created, enabled: state(of: key) == .enabled, description: record.description,
            keyUsage: record.usage.rawValue, keyState: state(of: key).rawValue, deletionDate: record.deletionDate,
            keyManager: record.manager.rawValue, customerMasterKeySpec: record.spec.rawValue,
            keySpec: record.spec.rawValue,
            encryptionAlgorithms: encryptionAlgorithms.isEmpty ? nil : encryptionAlgorithms,
            macAlgorithms: record.spec.macAlgorithm.map { [$0.rawValue] },
            signingAlgorithms: Self.nonEmpty(record.spec.signingAlgorithms(record.usage).map(\.rawValue)),
            keyAgreementAlgorithms: Self.nonEmpty(record.spec.keyAgreementAlgorithms(record.usage)),
            multiRegion: record.multiRegion != nil, multiRegionConfiguration: multiRegionConfiguration(record),
            pendingDeletionWindowInDays: record.pendingWindowInDays, origin: record.origin.rawValue,
            expirationModel: record.origin == .external ? (record.expirationModel?.rawValue) : nil,
            validTo: record.expirationModel == .expires ? record.validTo : nil)
    }

    /// The related keys of a multi-Region key, named by ARN in their own regions.
    private func multiRegionConfiguration(_ record: KeyRecord) -> MultiRegionConfiguration? {
        guard let set = record.multiRegion else { return nil }
        let id = record.id.description
        func key(_ region: String) -> MultiRegionKey {
            MultiRegionKey(arn: "arn:aws:kms:\(region):\(record.scope.account):key/\(id)", region: region)
        }
        return MultiRegionConfiguration(
            multiRegionKeyType: set.primaryRegion == record.scope.region ? "PRIMARY" : "REPLICA",
            primaryKey: key(set.primaryRegion), replicaKeys: set.replicaRegions.map(key))
    }

    /// A list AWS leaves out of its answer when empty.
    static func nonEmpty(_ list: [String]) -> [String]? { list.isEmpty ? nil : list }

    func requireKeyId(_ keyId: String?, _ field: String = "keyId") throws -> String {
        var validator = Validator()
        validator.required(keyId, field)
        validator.length(keyId, field, min: 1, max: Self.keyIdMax)
        try validator.check()
        return keyId!
    }

    /// `GrantTokens`, which every operation that takes them accepts: at most 10 of 1 to 8192
    /// characters (`ValidationException`), each a token this daemon issued
    /// (`InvalidGrantTokenException`). Grants take effect at once, so a token changes nothing else.
    /// The key a request names, once the request is valid and the caller may use the key.
    func authorizedKey(_ request: KeyUseRequest, _ context: RequestContext) throws -> LiveKey {
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validate(grantTokens: request.grantTokens, &validator)
        try validator.check()
        let key = try resolve(request.keyId!, context)
        try authorize(key, context)
        return key
    }

    func validate(grantTokens: [String]?, _ validator: inout Validator) {
        guard let grantTokens else { return }
        if grantTokens.count > GrantToken.maxCount {
            validator.custom(
                "Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to \(GrantToken.maxCount)"
            )
        }
        for (index, token) in grantTokens.enumerated() {
            validator.length(
                token, "grantTokens.\(index + 1).member", min: 1, max: GrantToken.maxLength, sensitive: true)
        }
        if grantTokens.contains(where: { GrantToken.grantID(of: $0) == nil }) {
            validator.refuse(AWSError(SealboxError.invalidGrantToken("The grant token is not valid.")))
        }
    }

    func validate(encryptionAlgorithm: String?, _ field: String, _ validator: inout Validator) {
        validator.oneOf(
            encryptionAlgorithm, field, ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"])
    }

    func requireSymmetric(_ algorithm: String?) throws {
        if let algorithm, algorithm != "SYMMETRIC_DEFAULT" {
            throw SealboxError.invalidKeyUsage("\(algorithm) is not supported for symmetric KMS keys.")
        }
    }

    func checkDryRun(_ dryRun: Bool?) throws {
        if dryRun == true {
            throw AWSError.dryRun("The request would have succeeded, but the DryRun option is set.")
        }
    }

    // MARK: Paging

    func paging(_ request: ListRequest, maxLimit: Int, defaultLimit: Int) throws -> (Int, String?) {
        var validator = Validator()
        validator.range(request.limit, "limit", min: 1, max: maxLimit)
        validator.length(request.marker, "marker", min: 1, max: 1024)
        try validator.check()
        return (request.limit ?? defaultLimit, request.marker)
    }

    /// A page of sorted `items` after the one an opaque marker names.
    static func page(_ items: [String], after marker: String?, limit: Int, scope: String = #function) throws
        -> (
            items: [String], nextMarker: String?
        )
    {
        guard let page = PageToken.page(items, sortKey: { $0 }, after: marker, limit: limit, scope: "kms." + scope)
        else {
            throw AWSError.invalidMarker("Invalid marker")
        }
        return (Array(page.items), page.next)
    }
}
