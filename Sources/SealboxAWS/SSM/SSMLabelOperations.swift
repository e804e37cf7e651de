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
        validator.count(labels, "labels", min: 1, max: 10)
        for (index, label) in (labels ?? []).enumerated() {
            validator.length(label, "labels.\(index + 1).member", min: 1, max: 100)
        }
        try validator.check()
        return labels!
    }
}
