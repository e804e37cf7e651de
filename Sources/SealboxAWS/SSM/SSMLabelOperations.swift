import Foundation
import SealboxCore
import SealboxCrypto

// Parameter Store version labels.
extension SSM {
    func labelParameterVersion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(LabelRequest.self, from: body)
        let name = try ParameterName.parse(try requireName(request.name), context).name
        try context.authorize([name])
        let labels = try requireLabels(request.labels)
        let result = try withWriter { () throws -> LabelParameterVersionResponse in
            guard var parameter = parameters[name] else {
                throw SealboxError.parameterNotFound("Parameter \(name) not found.")
            }
            let number = request.parameterVersion ?? parameter.versions.last!.version
            guard let target = parameter.versions.firstIndex(where: { $0.version == number }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(number) of \(name). Verify the version and try again.")
            }
            let valid = labels.filter(ParameterName.isValidLabel)
            let invalid = labels.filter { !ParameterName.isValidLabel($0) }
            var written = Set<Int>()
            for index in parameter.versions.indices where index != target {
                let before = parameter.versions[index].labels.count
                parameter.versions[index].labels.removeAll(where: valid.contains)
                if parameter.versions[index].labels.count != before {
                    written.insert(parameter.versions[index].version)
                }
            }
            for label in valid where !parameter.versions[target].labels.contains(label) {
                parameter.versions[target].labels.append(label)
                written.insert(number)
            }
            guard parameter.versions[target].labels.count <= Self.maxLabelsPerVersion else {
                throw SealboxError.parameterVersionLabelLimitExceeded(
                    "A parameter version can have maximum \(Self.maxLabelsPerVersion) labels.")
            }
            if !written.isEmpty { try commit(ParameterChange(parameter: parameter, writtenVersions: written.sorted())) }
            return LabelParameterVersionResponse(invalidLabels: invalid, parameterVersion: number)
        }
        return AWSJSON.encode(result)
    }

    func unlabelParameterVersion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(LabelRequest.self, from: body)
        let name = try ParameterName.parse(try requireName(request.name), context).name
        try context.authorize([name])
        var validator = Validator()
        validator.required(request.parameterVersion, "parameterVersion")
        try validator.check()
        let labels = try requireLabels(request.labels)
        let result = try withWriter { () throws -> UnlabelParameterVersionResponse in
            guard var parameter = parameters[name] else {
                throw SealboxError.parameterNotFound("Parameter \(name) not found.")
            }
            guard let target = parameter.versions.firstIndex(where: { $0.version == request.parameterVersion! }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(request.parameterVersion!) of \(name). Verify the version and try again."
                )
            }
            let removed = labels.filter(parameter.versions[target].labels.contains)
            let invalid = labels.filter { !removed.contains($0) }
            if !removed.isEmpty {
                parameter.versions[target].labels.removeAll(where: removed.contains)
                try commit(ParameterChange(parameter: parameter, writtenVersions: [parameter.versions[target].version]))
            }
            return UnlabelParameterVersionResponse(removedLabels: removed, invalidLabels: invalid)
        }
        return AWSJSON.encode(result)
    }

    func requireLabels(_ labels: [String]?) throws -> [String] {
        var validator = Validator()
        validator.required(labels, "labels")
        if let labels, labels.isEmpty || labels.count > 10 {
            validator.custom(
                "Value '[\(labels.joined(separator: ", "))]' at 'labels' failed to satisfy constraint: Member must have length \(labels.isEmpty ? "greater than or equal to 1" : "less than or equal to 10")"
            )
        }
        for (index, label) in (labels ?? []).enumerated() {
            validator.length(label, "labels.\(index + 1).member", min: 1, max: 100)
        }
        try validator.check()
        return labels!
    }
}
