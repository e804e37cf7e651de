/// Encodes a flat `Encodable` (one object of strings, integers and booleans) as compact JSON without
/// Foundation, which handler processes do not otherwise load. Nested values are refused.
enum FlatJSONEncoder {
    struct Unsupported: Error {}

    /// The value as `{"member":value,...}`, members in the order the type encodes them.
    /// - Parameter value: a request body from SealboxAPI.
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let writer = Writer()
        try value.encode(to: writer)
        return Array("{\(writer.members.joined(separator: ","))}".utf8)
    }

    private final class Writer: Encoder {
        var members: [String] = []
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Members<Key>(writer: self))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer { Refusing() }
        func singleValueContainer() -> any SingleValueEncodingContainer { Refusing() }
    }

    private struct Members<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let writer: Writer
        var codingPath: [any CodingKey] { [] }

        private func put(_ key: Key, _ json: String) {
            writer.members.append("\(quote(key.stringValue)):\(json)")
        }

        mutating func encodeNil(forKey key: Key) throws { put(key, "null") }
        mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, value ? "true" : "false") }
        mutating func encode(_ value: String, forKey key: Key) throws { put(key, quote(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { put(key, String(value)) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { put(key, String(value)) }
        // Floating point would need JSONEncoder's shortest-digits rendering; no request body has one.
        mutating func encode(_ value: Double, forKey key: Key) throws { throw Unsupported() }
        mutating func encode(_ value: Float, forKey key: Key) throws { throw Unsupported() }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw Unsupported() }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Members<NestedKey>(writer: Writer()))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { Refusing() }
        mutating func superEncoder() -> any Encoder { Writer() }
        mutating func superEncoder(forKey key: Key) -> any Encoder { Writer() }
    }

    /// Any container but a flat object: every write throws.
    private struct Refusing: UnkeyedEncodingContainer, SingleValueEncodingContainer {
        var codingPath: [any CodingKey] { [] }
        var count: Int { 0 }

        mutating func encodeNil() throws { throw Unsupported() }
        mutating func encode<T: Encodable>(_ value: T) throws { throw Unsupported() }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Members<NestedKey>(writer: Writer()))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { self }
        mutating func superEncoder() -> any Encoder { Writer() }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(String(scalar.value + 0x10000, radix: 16).dropFirst())
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
