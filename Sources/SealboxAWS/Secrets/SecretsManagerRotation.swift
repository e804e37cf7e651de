import SealboxCore

// RotateSecret and CancelRotateSecret. The rotation itself runs in the daemon, which calls the
// executable the config maps the secret's RotationLambdaARN to, once per step.
extension SecretsManager {
    func rotateSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(RotateSecretRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.length(request.clientRequestToken, "clientRequestToken", min: 32, max: 64)
        validator.length(request.rotationLambdaARN, "rotationLambdaARN", max: 2048)
        let rules = request.rotationRules
        validator.range(rules?.automaticallyAfterDays, "rotationRules.automaticallyAfterDays", min: 1, max: 1000)
        validator.length(rules?.duration, "rotationRules.duration", min: 2, max: 3)
        validator.length(rules?.scheduleExpression, "rotationRules.scheduleExpression", min: 1, max: 256)
        try validator.check()
        let schedule = try rules.map { rules throws(SealboxError) in
            try RotationSchedule(
                automaticallyAfterDays: rules.automaticallyAfterDays, scheduleExpression: rules.scheduleExpression,
                duration: rules.duration)
        }
        let (secret, versionID) = try rotate(
            request.secretId!, token: request.clientRequestToken, lambdaARN: request.rotationLambdaARN,
            schedule: schedule, immediately: request.rotateImmediately ?? true, context: context)
        var json = Self.named(secret)
        if let versionID { json.string("VersionId", versionID) }
        return json.render()
    }

    func cancelRotateSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretIdRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        try validator.check()
        let (secret, versionID) = try cancelRotation(request.secretId!, context: context)
        var json = Self.named(secret)
        if let versionID { json.string("VersionId", versionID) }
        return json.render()
    }
}
