// Service settings: GetServiceSetting, UpdateServiceSetting, ResetServiceSetting. A setting
// belongs to an account and a region; one never changed reads as its default, with status
// `Default`. Changes are stored first, then published, under the SSM writer lock.
extension SSM {
    /// A setting as GetServiceSetting answers it: the stored change, or nil for the default.
    /// - Parameters:
    ///   - setting: which setting.
    ///   - scope: the account and region.
    package func serviceSetting(_ setting: ServiceSetting, in scope: Scope) -> ServiceSettingRecord? {
        serviceSettings.withLock { $0[Scoped(setting.rawValue, in: scope)] }
    }

    /// The value a setting has in a scope: the stored change, else its default.
    /// - Parameters:
    ///   - setting: which setting.
    ///   - scope: the account and region.
    package func value(of setting: ServiceSetting, in scope: Scope) -> String {
        serviceSetting(setting, in: scope)?.value ?? setting.defaultValue
    }

    /// Sets a setting's value for the caller's account and region.
    /// - Parameters:
    ///   - setting: which setting.
    ///   - value: one of the setting's allowed values.
    ///   - context: the caller.
    package func updateServiceSetting(_ setting: ServiceSetting, to value: String, context: RequestContext)
        throws(SealboxError)
    {
        guard setting.allowedValues.contains(value) else {
            throw SealboxError.validation(
                "The value \(value) is not valid for the setting \(setting.rawValue). Valid values: "
                    + setting.allowedValues.joined(separator: ", "))
        }
        let record = ServiceSettingRecord(
            scope: context.scope, setting: setting, value: value, modified: clock.now(),
            modifiedBy: context.principal.description)
        try withWriter { () throws(SealboxError) in
            do { try store.saveServiceSetting(record) } catch {
                throw SealboxError.store(error, otherwise: .internalFailure("The service setting could not be stored"))
            }
            serviceSettings.withLock { $0[record.address] = record }
        }
    }

    /// Puts a setting back to its default for the caller's account and region.
    /// - Parameters:
    ///   - setting: which setting.
    ///   - context: the caller.
    package func resetServiceSetting(_ setting: ServiceSetting, context: RequestContext) throws(SealboxError) {
        let address = Scoped(setting.rawValue, in: context.scope)
        try withWriter { () throws(SealboxError) in
            do { try store.deleteServiceSetting(address) } catch {
                throw SealboxError.store(error, otherwise: .internalFailure("The service setting could not be reset"))
            }
            _ = serviceSettings.withLock { $0.removeValue(forKey: address) }
        }
    }
}
