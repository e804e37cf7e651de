import CSealboxSys

/// Wipes what crypto calls left on the thread's stack.
///
/// libsodium's secretbox copies the first bytes of a message into a local block and keystream into
/// others, and does not zero them; BLAKE2b keeps its key block there. Without this, the last value a
/// thread opened stayed readable on its stack until a deeper call happened to overwrite it.
enum StackWipe {
    /// Call right after the crypto call returns, from the same function, so the wiped stretch covers
    /// the frames it used.
    static func afterCryptoCall() {
        csealbox_wipe_stack()
    }
}
