import Foundation
import SealboxCore
import SealboxCrypto

// KMS tag and key policy operations.
extension KMS {
    func validateTags(_ tags: [WireTag]?, _ validator: inout Validator) throws -> [KeyTag] {
        guard let tags else { return [] }
        var result: [KeyTag] = []
        for (index, tag) in tags.enumerated() {
            validator.required(tag.tagKey, "tags.\(index + 1).member.tagKey")
            validator.required(tag.tagValue, "tags.\(index + 1).member.tagValue")
            validator.length(tag.tagKey, "tags.\(index + 1).member.tagKey", min: 1, max: 128)
            validator.length(tag.tagValue, "tags.\(index + 1).member.tagValue", max: 256)
            if let key = tag.tagKey, let value = tag.tagValue {
                if key.hasPrefix("aws:") { throw SealboxError.tag("Tag keys beginning with aws: are reserved") }
                result.removeAll { $0.key == key }
                result.append(KeyTag(key: key, value: value))
            }
        }
        return result
    }

    func tagResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagResourceRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.required(request.tags, "tags")
        let tags = try validateTags(request.tags, &validator)
        try validator.check()
        try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            for tag in tags {
                stored.record.tags.removeAll { $0.key == tag.key }
                stored.record.tags.append(tag)
            }
            guard stored.record.tags.count <= 50 else {
                throw SealboxError.limitExceeded("A key may carry at most 50 tags.")
            }
        }
        return AWSJSON.encode(Empty())
    }

    func untagResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(UntagResourceRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.required(request.tagKeys, "tagKeys")
        try validator.check()
        try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            stored.record.tags.removeAll { request.tagKeys!.contains($0.key) }
        }
        return AWSJSON.encode(Empty())
    }

    func listResourceTags(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        let (limit, marker) = try paging(request, maxLimit: 50, defaultLimit: 50)
        let key = try resolve(keyId, context, allowAlias: false)
        try authorize(key, context)
        let values = Dictionary(key.record.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        let page = try Self.page(values.keys.sorted(), after: marker, limit: limit)
        return AWSJSON.encode(
            ListResourceTagsResponse(
                tags: page.items.map { WireTag(tagKey: $0, tagValue: values[$0]) }, nextMarker: page.nextMarker,
                truncated: page.nextMarker != nil))
    }

    func checkPolicyDocument(_ policy: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(policy.utf8)), object is [String: Any] else {
            throw SealboxError.malformedPolicyDocument("The new key policy is not a JSON object.")
        }
    }

    private func checkPolicyName(_ name: String?) throws {
        var validator = Validator()
        validator.oneOf(name, "policyName", ["default"])
        try validator.check()
    }

    func getKeyPolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyPolicyRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        try checkPolicyName(request.policyName)
        let key = try resolve(keyId, context, allowAlias: false)
        try authorize(key, context)
        return AWSJSON.encode(GetKeyPolicyResponse(policy: key.record.policy, policyName: "default"))
    }

    func putKeyPolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyPolicyRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.required(request.policy, "policy")
        validator.length(request.policy, "policy", min: 1, max: 131_072)
        try validator.check()
        try checkPolicyName(request.policyName)
        try checkPolicyDocument(request.policy!)
        try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            stored.record.policy = request.policy!
        }
        return AWSJSON.encode(Empty())
    }

    func listKeyPolicies(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        _ = try paging(request, maxLimit: 1000, defaultLimit: 100)
        try authorize(try resolve(try requireKeyId(request.keyId), context, allowAlias: false), context)
        return AWSJSON.encode(ListKeyPoliciesResponse(policyNames: ["default"], truncated: false))
    }
}
