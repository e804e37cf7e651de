import Foundation
import SealboxAWS
import SealboxCore

/// JSON for Sealbox's own endpoints, whose members are lowerCamelCase on the wire.
enum NativeJSON {
    static func encode(_ value: some Encodable) -> ResponseBody {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return .json(Array((try? encoder.encode(value)) ?? Data("{}".utf8)))
    }
}
