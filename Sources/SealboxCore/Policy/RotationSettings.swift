import Yams

/// The config's `rotation:` section: which executable stands in for each rotation Lambda function,
/// and how long one step may take.
public struct RotationSettings: Sendable, Equatable {
    /// `RotationLambdaARN` to the absolute path of an executable.
    public var handlers: [String: String] = [:]
    /// The most one step may run before its process group is killed and the rotation fails.
    public var timeoutSeconds = 30

    public init() {}

    static func parse(_ node: Node, _ fail: (String) -> SetupError) throws -> RotationSettings {
        guard let mapping = node.mapping else { throw fail("rotation must be a mapping") }
        var settings = RotationSettings()
        for (name, value) in mapping {
            switch name.string ?? "" {
            case "timeoutSeconds":
                guard let seconds = value.int, (1...900).contains(seconds) else {
                    throw fail("rotation.timeoutSeconds must be 1 to 900, as a Lambda function's timeout")
                }
                settings.timeoutSeconds = seconds
            case "handlers":
                guard let handlers = value.mapping else {
                    throw fail("rotation.handlers must map rotation Lambda ARNs to executables")
                }
                for (arnNode, pathNode) in handlers {
                    guard let arn = arnNode.string, arn.hasPrefix("arn:"), arn.contains(":lambda:") else {
                        throw fail("rotation.handlers: '\(arnNode.string ?? "")' is not a Lambda function ARN")
                    }
                    guard let path = pathNode.string, path.hasPrefix("/") else {
                        throw fail("rotation.handlers: the executable for \(arn) must be an absolute path")
                    }
                    settings.handlers[arn] = path
                }
            default:
                throw fail("unknown key 'rotation.\(name.string ?? "")' (expected handlers, timeoutSeconds)")
            }
        }
        return settings
    }
}
