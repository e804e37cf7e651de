import SealboxCrypto

/// One thing a write changed, as other daemons sharing the store learn of it: they load that thing
/// again, or act (a lease revocation), so that what each serves from memory follows the store.
public enum StoreChange: Sendable, Hashable {
    case parameter(ParameterAddress)
    case serviceSetting(Scoped<String>)
    case secret(Scoped<String>)
    case key(KeyAddress)
    case alias(Scoped<String>)
    /// Some grant of the key was created, retired or revoked.
    case grants(KeyAddress)
    /// Every lease on a name with this prefix is revoked, on every host.
    case revokeLeases(prefix: String)
    /// Everything may have changed (a root key rotation): reload it all.
    case everything

    /// The change's kind and its thing's account, region and name, as the change feed stores them.
    public var row: (kind: String, account: String, region: String, name: String) {
        switch self {
        case .parameter(let address): ("parameter", address.scope.account, address.scope.region, address.name)
        case .serviceSetting(let address): ("setting", address.scope.account, address.scope.region, address.name)
        case .secret(let address): ("secret", address.scope.account, address.scope.region, address.name)
        case .key(let address): ("key", address.scope.account, address.scope.region, address.name.description)
        case .alias(let address): ("alias", address.scope.account, address.scope.region, address.name)
        case .grants(let address): ("grants", address.scope.account, address.scope.region, address.name.description)
        case .revokeLeases(let prefix): ("leases", "", "", prefix)
        case .everything: ("everything", "", "", "")
        }
    }

    /// The change a stored row describes; nil for a kind this build does not know.
    /// - Parameters:
    ///   - kind: the row's kind.
    ///   - account: its account.
    ///   - region: its region.
    ///   - name: its name.
    public init?(kind: String, account: String, region: String, name: String) {
        let scope = Scope(account: account, region: region)
        switch kind {
        case "parameter": self = .parameter(ParameterAddress(name, in: scope))
        case "setting": self = .serviceSetting(Scoped(name, in: scope))
        case "secret": self = .secret(Scoped(name, in: scope))
        case "key", "grants":
            guard let id = KeyID(name) else { return nil }
            self = kind == "key" ? .key(KeyAddress(id, in: scope)) : .grants(KeyAddress(id, in: scope))
        case "alias": self = .alias(Scoped(name, in: scope))
        case "leases": self = .revokeLeases(prefix: name)
        case "everything": self = .everything
        default: return nil
        }
    }
}
