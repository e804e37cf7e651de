import SealboxCore

// Service settings: the two Parameter Store ones, per account and region.
extension SSM {
    func getServiceSetting(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ServiceSettingRequest.self, from: body)
        let setting = try serviceSetting(named: request.settingId, context)
        return AWSJSON.encode(ServiceSettingResponse(serviceSetting: shape(setting, context)))
    }

    func updateServiceSetting(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ServiceSettingRequest.self, from: body)
        var validator = Validator()
        validator.required(request.settingValue, "settingValue")
        validator.length(request.settingValue, "settingValue", min: 1, max: 4096)
        let setting = try serviceSetting(named: request.settingId, context, validator)
        try updateServiceSetting(setting, to: request.settingValue!, context: context)
        return AWSJSON.encode(Empty())
    }

    func resetServiceSetting(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ServiceSettingRequest.self, from: body)
        let setting = try serviceSetting(named: request.settingId, context)
        try resetServiceSetting(setting, context: context)
        return AWSJSON.encode(ServiceSettingResponse(serviceSetting: shape(setting, context)))
    }

    /// The setting a `SettingId` names, by id or by ARN in the caller's account and region, once the
    /// policy grants the action on its ARN.
    private func serviceSetting(named id: String?, _ context: RequestContext, _ validator: Validator = Validator())
        throws -> ServiceSetting
    {
        var validator = validator
        validator.required(id, "settingId")
        validator.length(id, "settingId", min: 1, max: 1000)
        try validator.check()
        var name = Substring(id!)
        let arnPrefix = "arn:aws:ssm:\(context.region):\(context.accountID):servicesetting"
        if name.hasPrefix(arnPrefix) { name = name.dropFirst(arnPrefix.count) }
        guard let setting = ServiceSetting(rawValue: String(name)) else {
            throw SealboxError.serviceSettingNotFound(
                "The service setting \(id!) was not found. Sealbox serves "
                    + ServiceSetting.allCases.map(\.rawValue).joined(separator: " and "))
        }
        try context.authorize([Self.arn(setting, context)])
        return setting
    }

    private static func arn(_ setting: ServiceSetting, _ context: RequestContext) -> String {
        "arn:aws:ssm:\(context.region):\(context.accountID):servicesetting\(setting.rawValue)"
    }

    private func shape(_ setting: ServiceSetting, _ context: RequestContext) -> ServiceSettingShape {
        let changed = serviceSetting(setting, in: context.scope)
        return ServiceSettingShape(
            settingId: setting.rawValue, settingValue: changed?.value ?? setting.defaultValue,
            lastModifiedDate: changed?.modified, lastModifiedUser: changed?.modifiedBy ?? "System",
            aRN: Self.arn(setting, context), status: changed == nil ? "Default" : "Customized")
    }
}
