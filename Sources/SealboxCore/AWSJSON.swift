import Foundation
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

    // Swift members are lowerCamelCase; the wire is UpperCamelCase.
    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            WireKey(path.last!.stringValue.prefix(1).lowercased() + path.last!.stringValue.dropFirst())
        }
        return decoder
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .custom { path in
            WireKey(path.last!.stringValue.prefix(1).uppercased() + path.last!.stringValue.dropFirst())
        }
        return encoder
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
        guard let bytes = try? Base64.decode(Array(text.utf8)) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not valid base64"))
        }
        self.bytes = bytes
    }
}

/// A base64 blob member holding a secret (plaintext), decoded into guarded memory.
public struct SecretBlob: Decodable, Sendable {
    /// The decoded bytes.
    public let bytes: SecureBytes

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = try? Base64.decodeSecure(Array(text.utf8)) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not valid base64"))
        }
        self.bytes = bytes
    }
}

/// Writes a flat JSON object whose members may include secrets, straight into guarded memory, so
/// plaintext never passes through `String`, `Data` or `JSONEncoder`.
public struct SensitiveJSON {
    private enum Member {
        case string(String)
        case secretBase64(SecureBytes)
    }

    private var members: [(String, Member)] = []

    public init() {}

    /// Adds a string member. Names and values must need no JSON escaping (ARNs, enum values).
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the value.
    public mutating func string(_ name: String, _ value: String) {
        members.append((name, .string(value)))
    }

    /// Adds a member holding the base64 of secret bytes.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the secret.
    public mutating func base64(_ name: String, _ value: SecureBytes) {
        members.append((name, .secretBase64(value)))
    }

    /// Renders the object.
    public func render() -> ResponseBody {
        var length = 2 + max(members.count - 1, 0)
        for (name, member) in members {
            length += name.utf8.count + 5
            switch member {
            case .string(let value): length += value.utf8.count
            case .secretBase64(let secret): length += Base64.encodedLength(secret.count)
            }
        }
        let out = try! SecureBytes(count: length) { buffer in
            var offset = 0
            func put(_ bytes: some Sequence<UInt8>) {
                for byte in bytes {
                    buffer[offset] = byte
                    offset += 1
                }
            }
            put("{".utf8)
            for (index, (name, member)) in members.enumerated() {
                if index > 0 { put(",".utf8) }
                put("\"".utf8)
                put(name.utf8)
                put("\":\"".utf8)
                switch member {
                case .string(let value):
                    put(value.utf8)
                case .secretBase64(let secret):
                    let count = Base64.encodedLength(secret.count)
                    secret.withUnsafeBytes {
                        Base64.encode(
                            $0, into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + count)]))
                    }
                    offset += count
                }
                put("\"".utf8)
            }
            put("}".utf8)
            precondition(offset == length)
        }
        return .sensitive(out)
    }
}
