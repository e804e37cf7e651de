import SealboxCrypto

// The changes to existing parameters besides new versions: deletion, version labels and tags. The
// caller checks the request's form; these check the policy on the parameter and apply their rule
// under the writer lock, committing before they publish.
extension SSM {
    /// Most tags one parameter carries.
    package static let maxTags = 50

    /// Deletes a parameter with all its versions.
    /// - Parameters:
    ///   - name: the parameter name.
    ///   - context: the caller.
    package func delete(_ name: String, context: RequestContext) throws(SealboxError) {
        try ParameterName.requireWritable(name)
        try context.authorize([storedName(name, context)])
        try withWriter { () throws(SealboxError) in
            guard let parameter = self.parameter(named: name, context) else {
                throw SealboxError.parameterNotFound("Parameter \(name) not found.")
            }
            try commit(ParameterChange(parameter: nil, writtenVersions: [], deleted: [parameter.address]))
        }
    }

    /// The name a parameter is stored under, for the policy: its other spelling when only that
    /// exists, else the name as given.
    package func storedName(_ name: String, _ context: RequestContext) -> String {
        parameter(named: name, context)?.name ?? name
    }

    /// Deletes the parameters that exist, in one transaction.
    /// - Parameters:
    ///   - names: the names as sent (names only, as AWS takes them: an ARN names no parameter).
    ///   - context: the caller.
    /// - Returns: the names deleted, and those that named no parameter.
    package func delete(_ names: [String], context: RequestContext) throws(SealboxError)
        -> (deleted: [String], invalid: [String])
    {
        try context.authorize(names.map { storedName($0, context) })
        return try withWriter { () throws(SealboxError) -> (deleted: [String], invalid: [String]) in
            var deleted: [String] = []
            var invalid: [String] = []
            for text in names {
                let name = parameter(named: text, context)?.name
                if let name, deleted.contains(name) { continue }
                guard let name, !ParameterName.isPublic(name) else {
                    invalid.append(text)
                    continue
                }
                deleted.append(name)
            }
            if !deleted.isEmpty {
                let addresses = deleted.map { ParameterAddress($0, in: context.scope) }
                try commit(ParameterChange(parameter: nil, writtenVersions: [], deleted: addresses))
            }
            return (deleted, invalid)
        }
    }

    /// Moves labels onto one version of a parameter; a label leaves whichever version had it.
    /// - Parameters:
    ///   - labels: the labels; the ones that are not valid label names are returned, not applied.
    ///   - name: the parameter name.
    ///   - version: the version; nil for the newest.
    ///   - context: the caller.
    /// - Returns: the labels not applied, and the version labelled.
    package func label(_ labels: [String], of name: String, version: Int?, context: RequestContext)
        throws(SealboxError) -> (invalid: [String], version: Int)
    {
        try ParameterName.requireWritable(name)
        try context.authorize([storedName(name, context)])
        return try withWriter { () throws(SealboxError) -> (invalid: [String], version: Int) in
            guard var parameter = self.parameter(named: name, context) else {
                throw SealboxError.parameterNotFound("Parameter \(name) not found.")
            }
            let number = version ?? parameter.versions.last!.version
            guard let target = parameter.versions.firstIndex(where: { $0.version == number }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(number) of \(name). Verify the version and try again.")
            }
            let valid = labels.filter(ParameterName.isValidLabel)
            let invalid = labels.filter { !ParameterName.isValidLabel($0) }
            var written = Set<Int>()
            for index in parameter.versions.indices where index != target {
                let before = parameter.versions[index].labels.count
                parameter.versions[index].labels.removeAll(where: valid.contains)
                if parameter.versions[index].labels.count != before {
                    written.insert(parameter.versions[index].version)
                }
            }
            for label in valid where !parameter.versions[target].labels.contains(label) {
                parameter.versions[target].labels.append(label)
                written.insert(number)
            }
            guard parameter.versions[target].labels.count <= Self.maxLabelsPerVersion else {
                throw SealboxError.parameterVersionLabelLimitExceeded(
                    "A parameter version can have maximum \(Self.maxLabelsPerVersion) labels.")
            }
            if !written.isEmpty { try commit(ParameterChange(parameter: parameter, writtenVersions: written.sorted())) }
            return (invalid, number)
        }
    }

    /// Takes labels off one version of a parameter.
    /// - Parameters:
    ///   - labels: the labels.
    ///   - name: the parameter name.
    ///   - version: the version.
    ///   - context: the caller.
    /// - Returns: the labels removed, and those the version did not carry.
    package func unlabel(_ labels: [String], of name: String, version: Int, context: RequestContext)
        throws(SealboxError) -> (removed: [String], invalid: [String])
    {
        try ParameterName.requireWritable(name)
        try context.authorize([storedName(name, context)])
        return try withWriter { () throws(SealboxError) -> (removed: [String], invalid: [String]) in
            guard var parameter = self.parameter(named: name, context) else {
                throw SealboxError.parameterNotFound("Parameter \(name) not found.")
            }
            guard let target = parameter.versions.firstIndex(where: { $0.version == version }) else {
                throw SealboxError.parameterVersionNotFound(
                    "Systems Manager could not find version \(version) of \(name). Verify the version and try again.")
            }
            let removed = labels.filter(parameter.versions[target].labels.contains)
            let invalid = labels.filter { !removed.contains($0) }
            if !removed.isEmpty {
                parameter.versions[target].labels.removeAll(where: removed.contains)
                try commit(ParameterChange(parameter: parameter, writtenVersions: [parameter.versions[target].version]))
            }
            return (removed, invalid)
        }
    }

    /// Adds tags to a parameter, replacing those with the same keys, up to ``maxTags``.
    /// - Parameters:
    ///   - tags: the tags.
    ///   - name: the parameter name.
    ///   - context: the caller.
    package func addTags(_ tags: [KeyTag], to name: String, context: RequestContext) throws(SealboxError) {
        try ParameterName.requireWritable(name)
        try context.authorize([name])
        try updateTags(name, context) { (current) throws(SealboxError) in
            for tag in tags {
                current.removeAll { $0.key == tag.key }
                current.append(tag)
            }
            guard current.count <= Self.maxTags else {
                throw SealboxError.tooManyTags("A parameter may carry at most \(Self.maxTags) tags.")
            }
        }
    }

    /// Removes the tags with these keys from a parameter.
    /// - Parameters:
    ///   - keys: the tag keys.
    ///   - name: the parameter name.
    ///   - context: the caller.
    package func removeTags(_ keys: [String], from name: String, context: RequestContext) throws(SealboxError) {
        try ParameterName.requireWritable(name)
        try context.authorize([name])
        try updateTags(name, context) { current in current.removeAll { keys.contains($0.key) } }
    }

    /// A parameter's tags.
    /// - Parameters:
    ///   - name: the parameter name.
    ///   - context: the caller.
    package func tags(of name: String, context: RequestContext) throws(SealboxError) -> [KeyTag] {
        try context.authorize([name])
        return parameter(named: name, context)?.tags ?? []
    }

    private func updateTags(
        _ name: String, _ context: RequestContext, _ change: (inout [KeyTag]) throws(SealboxError) -> Void
    ) throws(SealboxError) {
        try withWriter { () throws(SealboxError) in
            guard var parameter = parameter(named: name, context) else {
                throw SealboxError.invalidResourceId("The resource ID \(name) is not valid.")
            }
            try change(&parameter.tags)
            try commit(ParameterChange(parameter: parameter, writtenVersions: []))
        }
    }
}
