import SealboxCrypto
import Synchronization

/// AWS request ids (`x-amzn-RequestId`): UUID-shaped and unique, not secret. A random half drawn once
/// per daemon run and a counter, so that a request does not pay a `getrandom(2)` call, as a fresh
/// random UUID per request would.
enum RequestID {
    private static let run = Sodium.randomWord()
    private static let counter = Atomic<UInt64>(0)

    /// The next id: the run's 8 random bytes, then the counter's 8 bytes, with the version (4) and
    /// variant bits of a random UUID, as SDKs and moto's ids look.
    static func next() -> String {
        KeyID(version4: run, counter.wrappingAdd(1, ordering: .relaxed).newValue).description
    }
}
