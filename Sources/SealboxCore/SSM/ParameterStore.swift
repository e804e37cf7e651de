/// Durable storage for SSM parameters. Every call returns only once the change is durable.
public protocol ParameterStore: Sendable {
    /// Every parameter with its versions, in name order, one at a time: start-up builds its map
    /// from them without first holding 100,000 of them in an array.
    /// - Parameters:
    ///   - reserve: called once, before any parameter, with their number.
    ///   - body: called with each parameter.
    func loadParameters(reserve: (Int) -> Void, _ body: (StoredParameter) throws -> Void) throws
    /// One parameter with its versions; nil if it is not stored.
    /// - Parameter address: the parameter in its account and region.
    func loadParameter(_ address: ParameterAddress) throws -> StoredParameter?
    /// Applies one change atomically.
    /// - Parameter change: the change.
    func apply(_ change: ParameterChange) throws
    /// Applies several changes as one transaction: all of them or none.
    /// - Parameter changes: the changes.
    func apply(_ changes: [ParameterChange]) throws
    /// Every service setting changed from its default.
    func loadServiceSettings() throws -> [ServiceSettingRecord]
    /// Inserts or replaces a service setting.
    /// - Parameter record: the setting.
    func saveServiceSetting(_ record: ServiceSettingRecord) throws
    /// Removes a service setting, back to its default; one that is not stored is no error.
    /// - Parameter address: the setting's id in its account and region.
    func deleteServiceSetting(_ address: Scoped<String>) throws
}

extension ParameterStore {
    /// Every parameter with its versions, in name order.
    public func loadParameters() throws -> [StoredParameter] {
        var all: [StoredParameter] = []
        try loadParameters(reserve: { all.reserveCapacity($0) }, { all.append($0) })
        return all
    }
}
