import SealboxCore

// Request and response shapes of the SSM operations Sealbox serves, named after botocore's
// ssm/2014-11-06 model. Members are lowerCamelCase here and UpperCamelCase on the wire.

struct PutParameterRequest: Decodable {
    var name: String?
    var description: String?
    var value: String?
    var type: String?
    var keyId: String?
    var overwrite: Bool?
    var allowedPattern: String?
    var tags: [SSMTag]?
    var tier: String?
    var policies: String?
    var dataType: String?
}

struct SSMTag: Codable {
    var key: String?
    var value: String?
}

struct NameRequest: FlatDecodable {
    var name: String?
    var withDecryption: Bool?
    var maxResults: Int?
    var nextToken: String?

    private static let strings = ["name", "nextToken"]
    private static let bools = ["withDecryption"]
    private static let others = ["maxResults"]

    init?(flat object: FlatJSONObject) {
        guard object.matches(strings: Self.strings, bools: Self.bools, others: Self.others) else { return nil }
        name = object.string("name")
        withDecryption = object.bool("withDecryption")
        nextToken = object.string("nextToken")
    }
}

struct NamesRequest: Decodable {
    var names: [String]?
    var withDecryption: Bool?
}

struct StringFilter: Decodable {
    var key: String?
    var option: String?
    var values: [String]?
}

struct GetParametersByPathRequest: Decodable {
    var path: String?
    var recursive: Bool?
    var parameterFilters: [StringFilter]?
    var withDecryption: Bool?
    var maxResults: Int?
    var nextToken: String?
}

struct DescribeParametersRequest: Decodable {
    var filters: [StringFilter]?
    var parameterFilters: [StringFilter]?
    var maxResults: Int?
    var nextToken: String?
    var shared: Bool?
}

struct LabelRequest: Decodable {
    var name: String?
    var parameterVersion: Int?
    var labels: [String]?
}

struct TagsRequest: Decodable {
    var resourceType: String?
    var resourceId: String?
    var tags: [SSMTag]?
    var tagKeys: [String]?
}

struct PutParameterResponse: Encodable {
    var version: Int
    var tier: String
}

struct DeleteParametersResponse: Encodable {
    var deletedParameters: [String]
    var invalidParameters: [String]
}

struct LabelParameterVersionResponse: Encodable {
    var invalidLabels: [String]
    var parameterVersion: Int
}

struct UnlabelParameterVersionResponse: Encodable {
    var removedLabels: [String]
    var invalidLabels: [String]
}

struct ListTagsForResourceResponse: Encodable {
    var tagList: [SSMTag]
}

struct ServiceSettingRequest: Decodable {
    var settingId: String?
    var settingValue: String?
}

struct ServiceSettingResponse: Encodable {
    var serviceSetting: ServiceSettingShape
}

struct ServiceSettingShape: Encodable {
    var settingId: String
    var settingValue: String
    var lastModifiedDate: Double?
    var lastModifiedUser: String
    var aRN: String
    var status: String
}

struct ResourcePolicyRequest: Decodable {
    var resourceArn: String?
    var policy: String?
    var policyId: String?
    var policyHash: String?
    var maxResults: Int?
    var nextToken: String?
}

struct PutResourcePolicyResponse: Encodable {
    var policyId: String
    var policyHash: String
}

struct GetResourcePoliciesResponse: Encodable {
    struct Entry: Encodable {
        var policyId: String
        var policyHash: String
        var policy: String
    }

    var policies: [Entry]
    var nextToken: String?
}
