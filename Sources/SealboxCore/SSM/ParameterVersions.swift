/// A parameter's kept versions, oldest first.
///
/// Almost every parameter has one version, and that one is kept inline: an array would be an
/// allocation of its own, about 80 bytes for each of 100,000 parameters.
public struct ParameterVersions: RandomAccessCollection, MutableCollection, RangeReplaceableCollection,
    ExpressibleByArrayLiteral, Sendable
{
    private enum Storage: Sendable {
        case one(ParameterVersionRecord)
        /// None, or two and more.
        case many([ParameterVersionRecord])
    }

    private var storage: Storage

    /// No versions.
    public init() { storage = .many([]) }

    /// - Parameter versions: the versions, oldest first.
    public init(_ versions: [ParameterVersionRecord]) {
        storage = versions.count == 1 ? .one(versions[0]) : .many(versions)
    }

    /// - Parameter version: the only version.
    public init(_ version: ParameterVersionRecord) { storage = .one(version) }

    public init(arrayLiteral versions: ParameterVersionRecord...) { self.init(versions) }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .one: 1
        case .many(let versions): versions.count
        }
    }

    public subscript(position: Int) -> ParameterVersionRecord {
        get {
            switch storage {
            case .one(let version):
                precondition(position == 0, "Index out of range")
                return version
            case .many(let versions):
                return versions[position]
            }
        }
        set {
            switch storage {
            case .one:
                precondition(position == 0, "Index out of range")
                storage = .one(newValue)
            case .many(var versions):
                // Released first, so the array is unique and changes in place.
                storage = .many([])
                versions[position] = newValue
                storage = .many(versions)
            }
        }
    }

    public mutating func replaceSubrange<C: Collection<ParameterVersionRecord>>(_ range: Range<Int>, with new: C) {
        var versions: [ParameterVersionRecord]
        switch storage {
        case .one(let version): versions = [version]
        case .many(let all): versions = all
        }
        storage = .many([])
        versions.replaceSubrange(range, with: new)
        self = Self(versions)
    }
}
