import Foundation

/// Decodes the daemon's literal JSON and encodes it back the way the daemon does (sorted keys, slashes
/// unescaped), so a test fails on any renamed, missing, extra or wrongly optional member.
enum WireJSON {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The literal, decoded and encoded again.
    static func roundTrip<T: Codable>(_ type: T.Type, _ json: String) throws -> String {
        try encode(try decode(T.self, json))
    }
}
