import Foundation
import SealboxCore
import SealboxCrypto

/// A response body, ready for the wire.
public enum ResponseBody: Sendable {
    /// Ordinary JSON.
    case json([UInt8])
    /// JSON that contains plaintext or key material, rendered into guarded memory. The server wipes
    /// every copy it makes once the bytes are written.
    case sensitive(SecureBytes)
}

/// AWS JSON 1.1 encoding and decoding of operation shapes.
public enum AWSJSON {
    /// Decodes a request shape; an empty body counts as `{}`.
    /// - Parameters:
    ///   - type: the request shape.
    ///   - body: the raw body.
    /// - Throws: `SerializationException` for bad JSON, wrong member types or bad base64.
    public static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(AWSError) -> T {
        try decodeWithJSONDecoder(type, from: body)
    }

    /// Decodes a hot request shape, reading a flat body without `JSONDecoder`.
    /// - Parameters:
    ///   - type: the request shape.
    ///   - body: the raw body.
    /// - Throws: the same `SerializationException` as the general decoder.
    static func decode<T: FlatDecodable>(_ type: T.Type, from body: [UInt8]) throws(AWSError) -> T {
        if let object = FlatJSONObject(body), let value = T(flat: object) { return value }
        return try decodeWithJSONDecoder(type, from: body)
    }

    /// The shape's member name for a wire key, as the decoder matches them: `CiphertextBlob` is
    /// `ciphertextBlob`.
    /// - Parameter key: the key on the wire.
    static func memberName(_ key: String) -> String { recased(key, upper: false) }

    static func decodeWithJSONDecoder<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(AWSError)
        -> T
    {
        let data = body.isEmpty ? Data("{}".utf8) : Data(body)
        do {
            return try decoder.decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(_, context) {
            throw AWSError.serialization("Unexpected value type for '\(path(context))'")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw AWSError.serialization("Invalid value for '\(path(context))': \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw AWSError.serialization("Unexpected null for '\(path(context))'")
        } catch {
            throw AWSError.serialization("The request body is not a valid JSON object")
        }
    }

    /// Encodes a response shape.
    /// - Parameter value: the response.
    public static func encode(_ value: some Encodable) -> ResponseBody {
        // The shapes hold only strings, numbers, booleans and arrays of them; encoding cannot fail.
        .json(Array(try! encoder.encode(value)))
    }

    // Swift members are lowerCamelCase; the wire is UpperCamelCase. Made once and shared: JSONDecoder
    // and JSONEncoder are safe to share, and a request must not pay for building one.
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in WireKey(recased(path.last!.stringValue, upper: false)) }
        return decoder
    }()

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .custom { path in WireKey(recased(path.last!.stringValue, upper: true)) }
        return encoder
    }()

    /// The key with its first letter's case changed (ASCII only, as every AWS member name is); short
    /// keys stay small strings, so this allocates nothing for them.
    private static func recased(_ key: String, upper: Bool) -> String {
        var key = key
        guard let first = key.utf8.first, (upper ? (0x61...0x7a) : (0x41...0x5a)).contains(first) else { return key }
        return key.withUTF8 { utf8 in
            String(unsafeUninitializedCapacity: utf8.count) { buffer in
                _ = buffer.initialize(from: utf8)
                buffer[0] = upper ? first - 0x20 : first + 0x20
                return utf8.count
            }
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}

private struct WireKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A base64 blob member holding public bytes (ciphertexts).
public struct Blob: Decodable, Sendable {
    /// The decoded bytes.
    public let bytes: [UInt8]

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let blob = Blob(base64: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not valid base64"))
        }
        self = blob
    }

    /// The bytes of standard base64 text; nil if it is not valid base64.
    /// - Parameter text: the base64 text.
    init?(base64 text: String) {
        guard let bytes = try? Base64.decode(text.utf8) else { return nil }
        self.bytes = bytes
    }
}

/// A request shape that can be read from a ``FlatJSONObject`` without `JSONDecoder`.
protocol FlatDecodable: Decodable {
    /// The request, or nil when `object` holds something only `JSONDecoder` may judge (a member of
    /// the wrong type, a value that does not decode).
    /// - Parameter object: the parsed body.
    init?(flat object: FlatJSONObject)
}

/// A base64 blob member holding a secret (plaintext), decoded into guarded memory.
public struct SecretBlob: Decodable, Sendable {
    /// The decoded bytes.
    public let bytes: SecureBytes

    /// Decodes base64 text into guarded memory; nil when it is not base64.
    /// - Parameter text: the member's text.
    init?(base64 text: String) {
        guard let bytes = try? Base64.decodeSecure(Array(text.utf8)) else { return nil }
        self.bytes = bytes
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = try? Base64.decodeSecure(Array(text.utf8)) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not valid base64"))
        }
        self.bytes = bytes
    }
}
