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
    func updateTags(_ name: String, _ change: (inout [KeyTag]) throws(SealboxError) -> Void)
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
