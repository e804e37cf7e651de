import SealboxAWS
import SealboxCore

/// The files an operator hands the daemon: fixtures and the config with its policy.
enum ConfigTargets {
    static func fixtures(_ bytes: [UInt8]) {
        guard let fixtures = try? Fixtures.parse(String(decoding: bytes, as: UTF8.self), origin: "fuzz.yaml") else {
            return
        }
        // What parses must also apply, or fail with an error, on an ephemeral daemon.
        let stack = FuzzStack.shared()
        _ = try? fixtures.apply(kms: stack.kms, ssm: stack.ssm, context: stack.context, origin: "fuzz.yaml")
    }

    static func policy(_ bytes: [UInt8]) {
        guard let config = try? SealboxConfig.parse(String(decoding: bytes, as: UTF8.self), origin: "fuzz.yaml"),
            let policy = config.policy
        else { return }
        _ = policy.allows(["uid:0", "any"], action: "kms:Decrypt", resources: ["alias/x", "/a/b"])
    }
}
