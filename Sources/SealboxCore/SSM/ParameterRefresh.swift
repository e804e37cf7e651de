// Following a shared store: a parameter or service setting another daemon changed is read again
// and published as a local commit would publish it.
extension SSM {
    /// Loads one parameter again from the store and serves what it holds now.
    /// - Parameter address: the parameter; gone from the store means deleted here too.
    package func refresh(parameter address: ParameterAddress) throws {
        try withWriter {
            let stored = try store.loadParameter(address)
            publish([
                ParameterChange(parameter: stored, writtenVersions: [], deleted: stored == nil ? [address] : [])
            ])
        }
    }

    /// Loads every changed service setting again.
    package func refreshServiceSettings() throws {
        try withWriter {
            let settings = try store.loadServiceSettings()
            serviceSettings.withLock { $0 = Dictionary(settings.map { ($0.address, $0) }, uniquingKeysWith: { $1 }) }
        }
    }
}
