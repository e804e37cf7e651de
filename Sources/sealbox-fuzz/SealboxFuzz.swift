import CSealboxFuzz
import Foundation

/// `sealbox-fuzz TARGET ARGS...`. Built with `make fuzz` (`-sanitize=fuzzer,address` and
/// `-DSEALBOX_LIBFUZZER`), ARGS are libFuzzer's: flags and corpus folders. In an ordinary build,
/// ARGS are files or folders whose files are each run once through TARGET: a corpus replay, so
/// the corpus is a regression test without libFuzzer.
@main
struct SealboxFuzz {
    nonisolated(unsafe) static var selected: FuzzTarget?

    static func main() {
        var arguments = CommandLine.arguments
        if arguments.dropFirst() == ["--seed-info"] {
            // For Tests/Fuzz/make_corpus.py: the aws-json selector order and the stack's fixtures.
            let info: [String: Any] = ["operations": AWSJSONTarget.names, "fixtures": FuzzStack.fixtures]
            let json = try! JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
            return
        }
        guard arguments.count > 1, let target = FuzzTarget.named(arguments[1]) else { usage() }
        arguments.remove(at: 1)
        selected = target
        #if SEALBOX_LIBFUZZER
            FuzzStack.warmUp()
            var argc = Int32(arguments.count)
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            let status = argv.withUnsafeMutableBufferPointer { buffer in
                var pointer = buffer.baseAddress
                return LLVMFuzzerRunDriver(&argc, &pointer, fuzzerTestOneInput)
            }
            exit(status)
        #else
            guard arguments.count > 1 else { usage() }
            var count = 0
            for path in arguments.dropFirst() {
                for file in files(path) {
                    guard let bytes = FileManager.default.contents(atPath: file) else {
                        print("cannot read \(file)")
                        exit(1)
                    }
                    target.run(Array(bytes))
                    count += 1
                }
            }
            print("\(target.name): \(count) inputs replayed, no crash")
        #endif
    }

    static func usage() -> Never {
        print(
            """
            usage: sealbox-fuzz TARGET FILE_OR_FOLDER...     (corpus replay, any build)
                   sealbox-fuzz TARGET [LIBFUZZER_FLAGS] CORPUS_FOLDER...   (the `make fuzz` build)
            targets:
            """)
        for target in FuzzTarget.all {
            print("  \(target.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(target.summary)")
        }
        exit(2)
    }

    static func files(_ path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            return [path]
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }
    }
}

/// libFuzzer's callback, by the name its runtime expects.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    SealboxFuzz.selected?.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
