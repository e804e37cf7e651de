import Dispatch
import SealboxCrypto
import Testing

/// The locks every shared table uses. Under `make sanitize-thread` these also show that TSan sees
/// their ordering: with `Synchronization.Mutex` it reported the same code as a race.
@Suite struct LockedTests {
    @Test func concurrentUpdatesAreNeverLost() {
        let counter = Locked(0)
        let lock = Lock()
        let plain = Locked([Int]())
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for step in 0..<5_000 {
                counter.withLock { $0 += 1 }
                lock.withLock { plain.withLock { $0.append(worker * 5_000 + step) } }
            }
        }
        #expect(counter.withLock { $0 } == 40_000)
        #expect(plain.withLock { Set($0).count } == 40_000)
    }

    @Test func errorsPassThroughAndReleaseTheLock() {
        struct Refused: Error {}
        let value = Locked("a")
        #expect(throws: Refused.self) {
            try value.withLock { (text: inout String) throws(Refused) in
                text = "b"
                throw Refused()
            }
        }
        // Taken again at once: the failed section released it, and kept its change.
        #expect(value.withLock { $0 } == "b")
    }

    @Test func readersSeeWholeWritesAndNoUpdateIsLost() {
        // Each write appends two equal numbers; a reader between the two appends would see an odd count.
        let pairs = ReadWriteLocked([Int]())
        let torn = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for step in 0..<2_000 {
                if worker % 2 == 0 {
                    pairs.withLock {
                        $0.append(step)
                        $0.append(step)
                    }
                } else if pairs.withReadLock({ $0.count % 2 }) != 0 {
                    torn.withLock { $0 += 1 }
                }
            }
        }
        #expect(pairs.withReadLock { $0.count } == 4 * 2_000 * 2)
        #expect(torn.withLock { $0 } == 0)
        struct Refused: Error {}
        #expect(throws: Refused.self) { try pairs.withReadLock { (_: [Int]) throws(Refused) in throw Refused() } }
        #expect(pairs.withLock { $0.count } == 16_000)
    }
}
