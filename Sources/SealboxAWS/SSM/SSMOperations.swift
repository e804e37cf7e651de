import Foundation
import SealboxCore
import SealboxCrypto

// What the Parameter Store operations share: names, finding versions, rendering and paging. Each
// operation is one method, in the file of its group: decode, validate as the model and AWS's
// documentation say, act, encode.
extension SSM {
    static let tiers = ["Standard", "Advanced", "Intelligent-Tiering"]
    static let standardValueLimit = 4096
    static let advancedValueLimit = 8192

    func requireName(_ name: String?, _ field: String = "name") throws -> String {
        var validator = Validator()
        validator.required(name, field)
        validator.length(name, field, min: 1, max: 2048)
        try validator.check()
        return name!
    }

    /// The parameter and version a reference names, or nil when there is none.
    func find(
        _ reference: ParameterName.Reference, _ context: RequestContext
    ) throws -> (StoredParameter, ParameterVersionRecord)? {
        guard let parameter = self.parameter(reference, context) else { return nil }
        return (parameter, try version(of: parameter, reference.selector))
    }

    /// The version a selector picks: the newest without one.
    func version(of parameter: StoredParameter, _ selector: ParameterName.Selector?) throws
        -> ParameterVersionRecord
    {
        switch selector {
        case nil:
            return parameter.versions.last!
        case .version(let number):
            guard let version = parameter.versions.first(where: { $0.version == number }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(number) of \(parameter.name). Verify the version and try again."
                )
            }
            return version
        case .label(let label):
            guard let version = parameter.versions.first(where: { $0.labels.contains(label) }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find label \(label) of \(parameter.name). Verify the label and try again."
                )
            }
            return version
        }
    }

    /// A `Parameter` object; the value is decrypted only when asked, else a SecureString shows its ciphertext.
    /// - Parameter forExtension: the Lambda extension's form: every member, in name order, with
    ///   `LastModifiedDate` as an ISO 8601 string and `Selector` and `SourceResult` null when absent.
    func parameterJSON(
        _ parameter: StoredParameter,
        _ version: ParameterVersionRecord,
        selector: ParameterName.Selector?,
        decrypt: Bool,
        forExtension: Bool = false,
        _ context: RequestContext
    ) throws -> SensitiveJSON {
        let name = parameter.name
        let arn = ParameterName.arn(name, in: parameter.scope, context)
        func value(into json: inout SensitiveJSON) throws {
            if version.type == .secureString && !decrypt {
                json.string("Value", Base64.encode(version.value))
            } else {
                json.secretString("Value", try plaintext(of: version, named: name, arn: arn, context))
                if version.type == .secureString {
                    context.trail?.served(.parameter(name: name, scope: parameter.scope, version: version.version))
                }
            }
        }
        var json = SensitiveJSON()
        if forExtension {
            json.string("ARN", arn)
            json.string("DataType", version.dataType)
            json.string("LastModifiedDate", ISOTimestamp.milliseconds(version.modified))
            json.string("Name", name)
            if let selector { json.string("Selector", selector.text) } else { json.null("Selector") }
            json.null("SourceResult")
            json.string("Type", version.type.rawValue)
            try value(into: &json)
            json.number("Version", version.version)
            return json
        }
        json.string("Name", name)
        json.string("Type", version.type.rawValue)
        try value(into: &json)
        json.number("Version", version.version)
        if let selector { json.string("Selector", selector.text) }
        json.number("LastModifiedDate", version.modified)
        json.string("ARN", arn)
        json.string("DataType", version.dataType)
        return json
    }

    /// A page of `items` (sorted by `key`) after the one an opaque NextToken names.
    func page<T>(
        _ items: [T],
        key: (T) -> String,
        token: String?,
        limit: Int,
        scope: String = #function
    ) throws -> (items: ArraySlice<T>, next: String?) {
        guard let page = PageToken.page(items, sortKey: key, after: token, limit: limit, scope: "ssm." + scope) else {
            throw AWSError.invalidNextToken("The nextToken is not valid")
        }
        return page
    }

    func validateTags(_ tags: [SSMTag]?, _ validator: inout Validator) -> [KeyTag] {
        var result: [KeyTag] = []
        for (index, tag) in (tags ?? []).enumerated() {
            validator.required(tag.key, "tags.\(index + 1).member.key")
            validator.required(tag.value, "tags.\(index + 1).member.value")
            validator.length(tag.key, "tags.\(index + 1).member.key", min: 1, max: 128)
            validator.length(tag.value, "tags.\(index + 1).member.value", max: 256)
            let pattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"
            validator.pattern(tag.key, "tags.\(index + 1).member.key", pattern, allowed: Self.isTagCharacter)
            validator.pattern(tag.value, "tags.\(index + 1).member.value", pattern, allowed: Self.isTagCharacter)
            if let key = tag.key, let value = tag.value {
                result.removeAll { $0.key == key }
                result.append(KeyTag(key: key, value: value))
            }
        }
        return result
    }

    /// Letters, separators, numbers and `_.:/=+-@`, as the model's tag pattern allows.
    static func isTagCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spaceSeparator,
            .lineSeparator, .paragraphSeparator, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return "_.:/=+-@".unicodeScalars.contains(scalar)
        }
    }
}
