/// The related keys of a multi-Region key: one key id in several regions of one account, sharing
/// key material, spec, usage, origin and automatic rotation. Every key of the set stores the same
/// value, so any of them can answer DescribeKey's `MultiRegionConfiguration`.
public struct MultiRegionSet: Codable, Sendable, Equatable {
    /// The region of the primary key: the only one that replicates and rotates.
    public var primaryRegion: String
    /// The regions of the replica keys, sorted.
    public var replicaRegions: [String]

    /// - Parameters:
    ///   - primaryRegion: the primary key's region.
    ///   - replicaRegions: the replicas' regions.
    public init(primaryRegion: String, replicaRegions: [String] = []) {
        self.primaryRegion = primaryRegion
        self.replicaRegions = replicaRegions.sorted()
    }

    /// Every region of the set, the primary's first.
    public var regions: [String] { [primaryRegion] + replicaRegions }
}
