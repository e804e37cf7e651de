import SealboxCore

/// A JSON object whose members are all strings or booleans: the shape of the hot requests
/// (Decrypt, GetParameter) as SDKs send them, read without `JSONDecoder`, which would otherwise be
/// the largest cost of a Decrypt.
///
/// Anything else (`\u` escapes, numbers, null, arrays, nested objects, invalid UTF-8, duplicate
/// keys, more than ``maxMembers`` members) gives nil, and the caller decodes with `JSONDecoder`,
/// which then also reports any error. A request that parses here means the same as it does there:
/// keys are matched as ``AWSJSON/decode(_:from:)`` matches them (first letter lowercased), and
/// unknown members are ignored.
struct FlatJSONObject {
    enum Value {
        case string(String)
        case bool(Bool)
    }

    /// More members than this, and the body goes to `JSONDecoder`.
    static let maxMembers = 16

    private var members: [(key: String, value: Value)] = []

    /// Parses `body`; nil unless it is one flat object as described above.
    /// - Parameter body: the request body.
    init?(_ body: [UInt8]) {
        let parsed = body.withUnsafeBufferPointer { bytes in
            var scanner = Scanner(bytes: bytes)
            return scanner.object()
        }
        guard let parsed else { return nil }
        members = parsed
    }

    /// The string member `key`, if there is one.
    /// - Parameter key: the member's name as the shape spells it (`ciphertextBlob`).
    func string(_ key: String) -> String? {
        guard case .string(let text)? = value(key) else { return nil }
        return text
    }

    /// The boolean member `key`, if there is one.
    /// - Parameter key: the member's name as the shape spells it (`withDecryption`).
    func bool(_ key: String) -> Bool? {
        guard case .bool(let flag)? = value(key) else { return nil }
        return flag
    }

    /// Whether every member the shape declares has the type the shape gives it. A member of
    /// another type would be a decoding error, which only `JSONDecoder` reports.
    /// - Parameters:
    ///   - strings: the shape's string members.
    ///   - bools: the shape's boolean members.
    ///   - others: the shape's other members (maps, lists, numbers): none may be present.
    func matches(strings: [String], bools: [String], others: [String]) -> Bool {
        members.allSatisfy { key, value in
            switch value {
            case .string: !bools.contains(key) && !others.contains(key)
            case .bool: !strings.contains(key) && !others.contains(key)
            }
        }
    }

    private func value(_ key: String) -> Value? {
        members.first { $0.key == key }?.value
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        /// The members, keys recased; nil on anything but a flat object, or on a repeated key.
        mutating func object() -> [(key: String, value: Value)]? {
            var members: [(key: String, value: Value)] = []
            // The hot shapes send two or three members: one allocation, not one per doubling.
            members.reserveCapacity(4)
            guard take(UInt8(ascii: "{")) else { return nil }
            if take(UInt8(ascii: "}")) { return end() ? members : nil }
            repeat {
                // The hot shapes have a handful of members; a body with many is left to JSONDecoder,
                // so that the duplicate-key check here never turns quadratic on an event loop.
                guard members.count < FlatJSONObject.maxMembers, let key = string() else { return nil }
                guard take(UInt8(ascii: ":")), let value = value() else { return nil }
                let name = AWSJSON.memberName(key)
                guard !members.contains(where: { $0.key == name }) else { return nil }
                members.append((name, value))
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")), end() else { return nil }
            return members
        }

        private mutating func value() -> Value? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            default: return nil
            }
        }

        /// A string in valid UTF-8 without control characters, whose escapes, if any, are the
        /// one-character ones (`\/` is common: Foundation's encoders escape every slash).
        private mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            var unescaped: [UInt8]? = nil
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    guard let unescaped else { return String(validating: bytes[start..<index - 1], as: UTF8.self) }
                    return String(validating: unescaped, as: UTF8.self)
                }
                if byte < 0x20 { return nil }
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.count, let escaped = Self.unescape(bytes[index + 1]) else { return nil }
                    if unescaped == nil {
                        unescaped = []
                        unescaped?.reserveCapacity(bytes.count - start)
                        unescaped?.append(contentsOf: bytes[start..<index])
                    }
                    unescaped?.append(escaped)
                    index += 2
                    continue
                }
                unescaped?.append(byte)
                index += 1
            }
            return nil
        }

        /// The byte a one-character escape stands for; nil for `\u` (left to `JSONDecoder`) and
        /// for anything that is not an escape.
        private static func unescape(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0c
            case UInt8(ascii: "n"): 0x0a
            case UInt8(ascii: "r"): 0x0d
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        }

        private mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count,
                UnsafeBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[index..<index + count])
            else { return false }
            index += count
            return true
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func end() -> Bool {
            skipSpace()
            return index == bytes.count
        }

        private mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0a, 0x0d: index += 1
                default: return
                }
            }
        }
    }
}

extension AWSJSON {
    /// Whether each request shape with a fast path reads `body` as `JSONDecoder` reads it: the
    /// oracle of the fuzzer's `aws-json` target and of the unit tests.
    /// - Parameter body: a request body.
    package static func fastPathAgrees(_ body: [UInt8]) -> Bool {
        guard let object = FlatJSONObject(body) else { return true }
        if let fast = DecryptRequest(flat: object) {
            guard let slow = try? decodeWithJSONDecoder(DecryptRequest.self, from: body),
                fast.ciphertextBlob?.bytes == slow.ciphertextBlob?.bytes, fast.keyId == slow.keyId,
                fast.encryptionAlgorithm == slow.encryptionAlgorithm, fast.dryRun == slow.dryRun,
                slow.encryptionContext == nil, slow.grantTokens == nil
            else { return false }
        }
        if let fast = SignRequest(flat: object) {
            guard let slow = try? decodeWithJSONDecoder(SignRequest.self, from: body),
                same(fast.message, slow.message), fast.keyId == slow.keyId, fast.messageType == slow.messageType,
                fast.signingAlgorithm == slow.signingAlgorithm, fast.dryRun == slow.dryRun, slow.grantTokens == nil
            else { return false }
        }
        if let fast = VerifyRequest(flat: object) {
            guard let slow = try? decodeWithJSONDecoder(VerifyRequest.self, from: body),
                same(fast.message, slow.message), fast.signature?.bytes == slow.signature?.bytes,
                fast.keyId == slow.keyId, fast.messageType == slow.messageType,
                fast.signingAlgorithm == slow.signingAlgorithm, fast.dryRun == slow.dryRun, slow.grantTokens == nil
            else { return false }
        }
        if let fast = NameRequest(flat: object) {
            guard let slow = try? decodeWithJSONDecoder(NameRequest.self, from: body),
                fast.name == slow.name, fast.withDecryption == slow.withDecryption, fast.nextToken == slow.nextToken,
                slow.maxResults == nil
            else { return false }
        }
        return true
    }

    private static func same(_ one: SecretBlob?, _ other: SecretBlob?) -> Bool {
        guard let one, let other else { return one == nil && other == nil }
        return other.bytes.withUnsafeBytes { one.bytes.constantTimeEquals(Array($0)) }
    }
}
