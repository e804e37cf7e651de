// Following a shared store: a secret another daemon changed is read again and served as it is now.
extension SecretsManager {
    /// Loads one secret again from the store; its rotation schedule may have moved.
    /// - Parameter address: the secret; gone from the store means deleted here too.
    package func refresh(secret address: Scoped<String>) throws {
        try withWriter {
            secrets[address] = try store.loadSecret(at: address)
        }
        scheduleChangesContinuation.yield()
    }
}
