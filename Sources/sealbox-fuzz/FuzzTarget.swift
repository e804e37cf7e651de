/// One fuzz target: a function of arbitrary bytes that must return, without crashing or hanging,
/// whatever the bytes are.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "envelope", summary: "envelope v1/v2 and sealbox:v1 token parsing and opening") {
            CryptoTargets.envelope($0)
        },
        FuzzTarget(name: "fernet", summary: "Fernet token parsing, MAC check, decryption and padding") {
            CryptoTargets.fernet($0)
        },
        FuzzTarget(name: "keys", summary: "DER private and public keys, and PEM, as fixtures and callers give them") {
            CryptoTargets.keys($0)
        },
        FuzzTarget(name: "aws-json", summary: "every KMS and SSM operation's request decoding and handling") {
            AWSJSONTarget.run($0)
        },
        FuzzTarget(name: "http", summary: "the HTTP/1.1 pipeline and router, through NIO's EmbeddedChannel") {
            HTTPTarget.run($0)
        },
        FuzzTarget(name: "fixtures", summary: "the YAML/JSON fixtures parser and validator") {
            ConfigTargets.fixtures($0)
        },
        FuzzTarget(name: "policy", summary: "the sealboxd config parser: policy, limits, leases, access keys") {
            ConfigTargets.policy($0)
        },
        FuzzTarget(name: "sigv4", summary: "the SigV4 verifier on fuzzed requests, signed and unsigned") {
            SigV4Target.run($0)
        },
    ]

    static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}
