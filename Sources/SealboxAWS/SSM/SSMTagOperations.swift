import Foundation
import SealboxCore
import SealboxCrypto

// Parameter Store tags.
extension SSM {
    func taggedParameter(_ request: TagsRequest, _ context: RequestContext) throws -> String {
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
        // A name or an ARN, with neither version nor label: tags belong to the parameter.
        guard let reference = try? ParameterName.parse(request.resourceId!, context), reference.selector == nil,
            let parameter = self.parameter(reference, context)
        else {
            throw SealboxError.invalidResourceId(
                "The resource ID \(request.resourceId!) is not valid. Verify the ID and try again.")
        }
        return parameter.name
    }

    func addTagsToResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagsRequest.self, from: body)
        var validator = Validator()
        validator.required(request.tags, "tags")
        let tags = validateTags(request.tags, &validator)
        try validator.check()
        try addTags(tags, to: try taggedParameter(request, context), context: context)
        return AWSJSON.encode(Empty())
    }

    func removeTagsFromResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagsRequest.self, from: body)
        var validator = Validator()
        validator.required(request.tagKeys, "tagKeys")
        try validator.check()
        try removeTags(request.tagKeys!, from: try taggedParameter(request, context), context: context)
        return AWSJSON.encode(Empty())
    }

    func listTagsForResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagsRequest.self, from: body)
        let tags = try tags(of: try taggedParameter(request, context), context: context)
        return AWSJSON.encode(ListTagsForResourceResponse(tagList: tags.map { SSMTag(key: $0.key, value: $0.value) }))
    }
}
