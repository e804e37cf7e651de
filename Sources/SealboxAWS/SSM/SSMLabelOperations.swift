import Foundation
import SealboxCore
import SealboxCrypto

// Parameter Store version labels.
extension SSM {
    func labelParameterVersion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(LabelRequest.self, from: body)
        let name = try requireName(request.name)
        let labels = try requireLabels(request.labels)
        let (invalid, version) = try label(labels, of: name, version: request.parameterVersion, context: context)
        return AWSJSON.encode(LabelParameterVersionResponse(invalidLabels: invalid, parameterVersion: version))
    }

    func unlabelParameterVersion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(LabelRequest.self, from: body)
        let name = try requireName(request.name)
        var validator = Validator()
        validator.required(request.parameterVersion, "parameterVersion")
        try validator.check()
        let labels = try requireLabels(request.labels)
        let (removed, invalid) = try unlabel(labels, of: name, version: request.parameterVersion!, context: context)
        return AWSJSON.encode(UnlabelParameterVersionResponse(removedLabels: removed, invalidLabels: invalid))
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
