import SealboxCore

/// A DescribeParameters / GetParametersByPath filter, validated as AWS does.
struct ParameterFilter {
    enum Use {
        case describe, byPath
    }

    let key: String
    let option: String
    let values: [String]

    private static let options: [String: [String]] = [
        "Name": ["Equals", "BeginsWith", "Contains"], "Type": ["Equals", "BeginsWith"],
        "KeyId": ["Equals", "BeginsWith"], "Path": ["Recursive", "OneLevel"], "Label": ["Equals"],
        "Tier": ["Equals", "BeginsWith"], "DataType": ["Equals", "BeginsWith"],
    ]

    init(key: String?, option: String?, values: [String]?, use: Use, index: Int) throws(AWSError) {
        // The model's constraints come first, as ValidationException.
        let field = "parameterFilters.\(index + 1).member"
        var validator = Validator()
        validator.required(key, "\(field).key")
        validator.length(key, "\(field).key", min: 1, max: 132)
        validator.length(option, "\(field).option", min: 1, max: 10)
        if let values, values.isEmpty || values.count > 50 {
            validator.custom(
                "Value '\(values)' at '\(field).values' failed to satisfy constraint: Member must have length \(values.isEmpty ? "greater than or equal to 1" : "less than or equal to 50")"
            )
        }
        for (position, value) in (values ?? []).enumerated() {
            validator.length(value, "\(field).values.\(position + 1).member", min: 1, max: 1024)
        }
        let isTag = key?.hasPrefix("tag:") == true && key!.count > 4
        if let key, !isTag, Self.options[key] == nil {
            validator.custom(
                "Value '\(key)' at '\(field).key' failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"
            )
        }
        try validator.check()
        let key = key!
        if use == .byPath, isTag || ["Name", "Path", "Tier", "DataType"].contains(key) {
            throw AWSError.invalidFilterKey("The filter key \(key) is not supported by GetParametersByPath")
        }
        let allowed = isTag ? ["Equals", "BeginsWith"] : Self.options[key]!
        let option = option ?? (key == "Path" ? "OneLevel" : "Equals")
        guard allowed.contains(option) else {
            throw AWSError.invalidFilterOption(
                "The filter option \(option) is not valid for key \(key). Valid options: \(allowed.joined(separator: ", "))"
            )
        }
        let values = values ?? []
        if !isTag, values.isEmpty { throw AWSError.invalidFilterValue("The filter \(key) needs at least one value") }
        let fixed: [String: [String]] = [
            "Type": ParameterType.allCases.map(\.rawValue), "Tier": ["Standard", "Advanced", "Intelligent-Tiering"],
            "DataType": ["text", "aws:ec2:image", "aws:ssm:integration"],
        ]
        if option == "Equals", let valid = fixed[key], let bad = values.first(where: { !valid.contains($0) }) {
            throw AWSError.invalidFilterValue("The filter value \(bad) is not valid for key \(key)")
        }
        if key == "Path", let bad = values.first(where: { !$0.hasPrefix("/") }) {
            throw AWSError.invalidFilterValue("The Path filter value \(bad) must start with /")
        }
        self.key = key
        self.option = option
        self.values = values
    }

    /// Whether one value (a label, a type, a tag value) passes this filter's option and values.
    func accepts(_ candidate: String) -> Bool {
        option == "BeginsWith" ? values.contains { candidate.hasPrefix($0) } : values.contains(candidate)
    }

    /// Whether a parameter passes, judged on its latest version (labels on any version).
    func matches(_ parameter: StoredParameter) -> Bool {
        let latest = parameter.versions.last!
        switch key {
        case "Name":
            let name = parameter.name
            return values.contains { value in
                switch option {
                case "BeginsWith": name.hasPrefix(value) || name.hasPrefix("/" + value)
                case "Contains": name.contains(value)
                default: name == value || name == "/" + value
                }
            }
        case "Type": return accepts(latest.type.rawValue)
        case "KeyId": return latest.keyId.map(accepts) ?? false
        case "Path":
            return values.contains { ParameterName.isUnder(parameter.name, path: $0, recursive: option == "Recursive") }
        case "Label": return parameter.versions.contains { version in version.labels.contains(where: accepts) }
        case "Tier": return accepts(latest.tier)
        case "DataType": return accepts(latest.dataType)
        default:
            let tagKey = String(key.dropFirst(4))
            guard let tag = parameter.tags.first(where: { $0.key == tagKey }) else { return false }
            return values.isEmpty || accepts(tag.value)
        }
    }
}
