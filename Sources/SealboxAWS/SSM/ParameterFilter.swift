import SealboxCore

/// A DescribeParameters / GetParametersByPath filter, validated as AWS does.
struct ParameterFilter {
    enum Use {
        case describe, byPath
    }

    let key: String
    let option: String
    let values: [String]

    /// The options each key takes, in the order AWS's messages list them.
    private static let options: [String: [String]] = [
        "Name": ["BeginsWith", "Equals", "Contains"], "Type": ["BeginsWith", "Equals"],
        "KeyId": ["BeginsWith", "Equals"], "Path": ["Recursive", "OneLevel"], "Label": ["Equals"],
        "Tier": ["BeginsWith", "Equals"], "DataType": ["BeginsWith", "Equals"],
    ]

    /// Values AWS knows in full: any other is refused by Equals (BeginsWith takes a prefix).
    private static let fixedValues: [String: [String]] = [
        "Type": ParameterType.allCases.map(\.rawValue), "Tier": ["Standard", "Advanced", "Intelligent-Tiering"],
    ]

    /// Adds the model's constraints on `filters` to `validator`, which reports them together with
    /// the request's other constraint failures, as AWS does.
    /// - Parameters:
    ///   - filters: the request's `ParameterFilters`.
    ///   - validator: collects the failures.
    static func constrain(_ filters: [StringFilter]?, _ validator: inout Validator) {
        for (index, filter) in (filters ?? []).enumerated() {
            let field = "parameterFilters.\(index + 1).member"
            validator.required(filter.key, "\(field).key")
            validator.length(filter.key, "\(field).key", min: 1, max: 132)
            if let key = filter.key, !(key.hasPrefix("tag:") && key.count > 4), options[key] == nil {
                validator.custom(
                    "Value '\(key)' at '\(field).key' failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"
                )
            }
            validator.length(filter.option, "\(field).option", min: 1, max: 10)
            validator.count(filter.values, "\(field).values", min: 1, max: 50)
            for (position, value) in (filter.values ?? []).enumerated() {
                validator.length(value, "\(field).values.\(position + 1).member", min: 1, max: 1024)
            }
        }
    }

    /// The filters, checked one by one in order after ``constrain(_:_:)`` passed, with AWS's texts.
    /// - Parameters:
    ///   - filters: the request's `ParameterFilters`.
    ///   - use: the operation, which decides the keys allowed.
    static func make(_ filters: [StringFilter]?, use: Use) throws(AWSError) -> [ParameterFilter] {
        var made: [ParameterFilter] = []
        for filter in filters ?? [] {
            let key = filter.key!
            let isTag = key.hasPrefix("tag:")
            switch use {
            case .describe where key == "Label":
                throw AWSError.invalidFilterKey(
                    "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier]."
                )
            case .byPath where isTag || ["Name", "Path", "Tier", "DataType"].contains(key):
                throw AWSError.invalidFilterKey(
                    "The following filter key is not valid: \(key). Valid filter keys include: [Type, KeyId].")
            default: break
            }
            let values = filter.values ?? []
            if !isTag, values.isEmpty {
                throw AWSError.invalidFilterValue(
                    "The following filter values are missing : null for filter key \(key).")
            }
            if made.contains(where: { $0.key == key }) {
                throw AWSError.invalidFilterKey(
                    "The following filter is duplicated in the request: \(key). A request can contain only one occurrence of a specific filter."
                )
            }
            let allowed = isTag ? ["BeginsWith", "Equals"] : options[key]!
            let option = filter.option ?? (key == "Path" ? "OneLevel" : "Equals")
            guard allowed.contains(option) else {
                throw AWSError.invalidFilterOption(
                    "The following filter option is not valid: \(option). Valid options include: [\(allowed.joined(separator: ", "))]."
                )
            }
            if key == "Path" { try checkPaths(values) }
            if option == "Equals", let valid = fixedValues[key], let bad = values.first(where: { !valid.contains($0) })
            {
                throw AWSError.invalidFilterValue(
                    "The following filter value is not valid: \(bad). Valid values include: [\(valid.joined(separator: ", "))]."
                )
            }
            if key == "DataType", option == "Equals",
                let bad = values.first(where: { !["text", "aws:ec2:image", "aws:ssm:integration"].contains($0) })
            {
                throw AWSError.invalidFilterValue(
                    "The following filter value is not valid: \(bad). Valid values include: [text, aws:ec2:image, aws:ssm:integration]."
                )
            }
            made.append(ParameterFilter(key: key, option: option, values: values))
        }
        return made
    }

    /// A Path filter's values are hierarchies of the caller's own: AWS's public parameters are found
    /// by GetParametersByPath, not here.
    private static func checkPaths(_ values: [String]) throws(AWSError) {
        for value in values {
            let lower = value.lowercased()
            if lower.hasPrefix("/aws") || lower.hasPrefix("/ssm") {
                throw AWSError.validation(
                    "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace."
                )
            }
            let allowed = value.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-", "/": true
                default: false
                }
            }
            guard value.hasPrefix("/"), !value.contains("//"), allowed else {
                throw AWSError.validation(
                    "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_."
                )
            }
        }
    }

    private init(key: String, option: String, values: [String]) {
        self.key = key
        self.option = option
        self.values = values
    }

    /// A deprecated `Filters` entry (DescribeParameters): Name means "begins with", the others
    /// "equals"; the model's enum has already limited the keys.
    init(deprecated key: String, values: [String]) {
        self.init(key: key, option: key == "Name" ? "BeginsWith" : "Equals", values: values)
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
