import Foundation
import SealboxCore

// Resource policies that share an Advanced-tier parameter with other accounts: put, list, delete.
extension SSM {
    func putResourcePolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ResourcePolicyRequest.self, from: body)
        var validator = Validator()
        validator.required(request.policy, "policy")
        if let policyId = request.policyId { validator.length(policyId, "policyId", min: 1, max: 256) }
        let name = try sharedParameterName(request.resourceArn, context, validator)
        let document = request.policy!
        guard document.utf8.count <= ResourcePolicyDocument.maxLength else {
            throw SealboxError.resourcePolicyLimitExceeded(
                "A resource policy can be at most \(ResourcePolicyDocument.maxLength) bytes.")
        }
        let parameter = parameter(named: name, in: context.scope)
        if let latest = parameter?.versions.last {
            guard latest.tier == "Advanced" else {
                throw AWSError.resourcePolicyInvalidParameter(
                    "Only parameters in the advanced tier can be shared. Change the parameter's tier to Advanced.")
            }
            if latest.type == .secureString, latest.keyId == nil || latest.keyId == Self.defaultKeyAlias {
                throw AWSError.resourcePolicyInvalidParameter(
                    "A SecureString encrypted with the AWS managed key alias/aws/ssm can't be shared. Encrypt it with a customer managed key."
                )
            }
        }
        let arn = ParameterName.arn(name, in: context.scope, context)
        let (accounts, actions) = try ResourcePolicyDocument.grants(document, arn: arn)
        let policy = ParameterResourcePolicy(
            id: request.policyId ?? UUID().uuidString.lowercased(), hash: ParameterResourcePolicy.hash(of: document),
            document: document, accounts: accounts, actions: actions)
        let stored = try putResourcePolicy(
            policy, on: name, replacing: request.policyId.map { ($0, request.policyHash) }, context: context)
        return AWSJSON.encode(PutResourcePolicyResponse(policyId: stored.id, policyHash: stored.hash))
    }

    func getResourcePolicies(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ResourcePolicyRequest.self, from: body)
        var validator = Validator()
        validator.range(request.maxResults, "maxResults", min: 1, max: 50)
        let name = try sharedParameterName(request.resourceArn, context, validator)
        let policies = try resourcePolicies(of: name, context: context)
        let (chosen, next) = try page(policies, key: \.id, token: request.nextToken, limit: request.maxResults ?? 50)
        return AWSJSON.encode(
            GetResourcePoliciesResponse(
                policies: chosen.map { .init(policyId: $0.id, policyHash: $0.hash, policy: $0.document) },
                nextToken: next))
    }

    func deleteResourcePolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ResourcePolicyRequest.self, from: body)
        var validator = Validator()
        validator.required(request.policyId, "policyId")
        validator.required(request.policyHash, "policyHash")
        let name = try sharedParameterName(request.resourceArn, context, validator)
        try deleteResourcePolicy(request.policyId!, hash: request.policyHash!, on: name, context: context)
        return AWSJSON.encode(Empty())
    }

    /// The name of the caller's own parameter a `ResourceArn` names, once the policy grants the
    /// action on it.
    private func sharedParameterName(_ arn: String?, _ context: RequestContext, _ validator: Validator) throws
        -> String
    {
        var validator = validator
        validator.required(arn, "resourceArn")
        validator.length(arn, "resourceArn", min: 20, max: 2048)
        try validator.check()
        guard let reference = try? ParameterName.parse(arn!, context), reference.arnScope != nil,
            reference.selector == nil, !ParameterName.isPublic(reference.name)
        else {
            throw AWSError.resourcePolicyInvalidParameter(
                "ResourceArn must be the ARN of a parameter, arn:aws:ssm:<region>:<account>:parameter/<name>.")
        }
        guard !reference.elsewhere else {
            throw SealboxError.resourceNotFound("The parameter \(arn!) doesn't exist in this account and Region.")
        }
        let name = parameter(named: reference.name, in: context.scope)?.name ?? reference.name
        try context.authorize([name])
        return name
    }
}
