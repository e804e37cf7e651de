import SealboxCore
import SealboxCrypto

/// Writes a JSON object whose members may include secrets straight into guarded memory, so
/// plaintext never passes through `String`, `Data` or `JSONEncoder`.
public struct SensitiveJSON: Sendable {
    // Not `indirect`: that boxed every member, one allocation each. Nesting goes through the
    // members array, which is a reference already.
    private enum Value: Sendable {
        case string(String)
        case secretString(SecureBytes)
        case secretBase64(SecureBytes)
        case raw(String)
        /// Written as digits at render: `String(_:)` formatted it first, on every redeem.
        case integer(Int)
        case object(SensitiveJSON)
        case array([Value])
    }

    private var members: [(String, Value)] = []

    public init() {}

    private mutating func add(_ name: String, _ value: Value) {
        // The objects on the hot paths have ten members or fewer (the extension's Parameter has nine):
        // one allocation, not one per doubling.
        if members.isEmpty { members.reserveCapacity(10) }
        members.append((name, value))
    }

    /// Adds a string member.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the value, escaped as JSON requires.
    public mutating func string(_ name: String, _ value: String) {
        add(name, .string(value))
    }

    /// Adds a string member whose text is a secret (UTF-8), escaped as JSON requires.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the secret text.
    public mutating func secretString(_ name: String, _ value: SecureBytes) {
        add(name, .secretString(value))
    }

    /// Adds a member holding the base64 of secret bytes.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the secret.
    public mutating func base64(_ name: String, _ value: SecureBytes) {
        add(name, .secretBase64(value))
    }

    /// Adds a member whose value is `null`, as the Lambda extension writes an absent field.
    /// - Parameter name: the member name.
    public mutating func null(_ name: String) {
        add(name, .raw("null"))
    }

    /// Adds a number member.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the number.
    public mutating func number(_ name: String, _ value: some BinaryInteger) {
        add(name, .raw(String(value)))
    }

    /// Adds an `Int` member, written as digits when the object is rendered.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the number.
    public mutating func number(_ name: String, _ value: Int) {
        add(name, .integer(value))
    }

    /// Adds a number member, such as an epoch timestamp.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the number; must be finite.
    public mutating func number(_ name: String, _ value: Double) {
        add(name, .raw(value.description))
    }

    /// Adds a boolean member.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the boolean.
    public mutating func bool(_ name: String, _ value: Bool) {
        add(name, .raw(value ? "true" : "false"))
    }

    /// Adds a nested object.
    /// - Parameters:
    ///   - name: the member name.
    ///   - value: the object.
    public mutating func object(_ name: String, _ value: SensitiveJSON) {
        add(name, .object(value))
    }

    /// Adds an array of objects.
    /// - Parameters:
    ///   - name: the member name.
    ///   - values: the objects.
    public mutating func objects(_ name: String, _ values: [SensitiveJSON]) {
        add(name, .array(values.map { .object($0) }))
    }

    /// Adds an array of strings.
    /// - Parameters:
    ///   - name: the member name.
    ///   - values: the strings.
    public mutating func strings(_ name: String, _ values: [String]) {
        add(name, .array(values.map { .string($0) }))
    }

    /// Renders the object into guarded memory. Most objects fit a block sized as if a few of their
    /// string bytes needed escaping, and are written in one pass; measuring first, then writing,
    /// walked every member twice. One that does not fit is measured exactly and written again.
    public func render() -> ResponseBody {
        let lengths = Self.lengths(of: self)
        let likely = lengths.unescaped + lengths.strings / 8 + 32
        if let out = try? SecureBytes(
            maximumCount: likely,
            initialise: { buffer in
                var writer = Writer(buffer: buffer)
                writer.object(self)
                guard writer.offset <= buffer.count else { throw Overflow() }
                return writer.offset
            })
        {
            return .sensitive(out)
        }
        var counter = Writer(buffer: nil)
        counter.object(self)
        let length = counter.offset
        let out = try! SecureBytes(count: length) { buffer in
            var writer = Writer(buffer: buffer)
            writer.object(self)
            precondition(writer.offset == length)
        }
        return .sensitive(out)
    }

    private struct Overflow: Error {}

    /// The rendered length if nothing needed escaping, and how much of it is string bytes that might.
    private static func lengths(of json: SensitiveJSON) -> (unescaped: Int, strings: Int) {
        var total = (unescaped: 2 + max(json.members.count - 1, 0), strings: 0)
        for (name, value) in json.members {
            let value = lengths(of: value)
            total.unescaped += name.utf8.count + 3 + value.unescaped
            total.strings += name.utf8.count + value.strings
        }
        return total
    }

    private static func lengths(of value: Value) -> (unescaped: Int, strings: Int) {
        switch value {
        case .string(let text): (text.utf8.count + 2, text.utf8.count)
        case .secretString(let secret): (secret.count + 2, secret.count)
        case .secretBase64(let secret): (Base64.encodedLength(secret.count) + 2, 0)
        case .raw(let text): (text.utf8.count, 0)
        case .integer(let number):
            (JSONText.withDecimalDigits(of: UInt64(number.magnitude)) { $0.count } + (number < 0 ? 1 : 0), 0)
        case .object(let json): lengths(of: json)
        case .array(let values):
            values.reduce((2 + max(values.count - 1, 0), 0)) {
                let element = lengths(of: $1)
                return ($0.0 + element.unescaped, $0.1 + element.strings)
            }
        }
    }

    /// Measures (with no buffer) or writes (with one) the same bytes, so both passes agree. Writing
    /// past the buffer's end writes nothing more but still counts, so the caller sees the overflow.
    private struct Writer {
        let buffer: UnsafeMutableRawBufferPointer?
        var offset = 0

        mutating func put(_ byte: UInt8) {
            if let buffer, offset < buffer.count { buffer[offset] = byte }
            offset += 1
        }

        /// Copies a run of bytes at once: per-byte writes were most of a render.
        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            if let buffer, !bytes.isEmpty, bytes.count <= buffer.count - min(offset, buffer.count) {
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyMemory(from: bytes)
            }
            offset += bytes.count
        }

        mutating func put(_ text: String) {
            var text = text
            text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        }

        mutating func escaped(_ text: String) {
            var text = text
            text.withUTF8 { escaped(UnsafeRawBufferPointer($0)) }
        }

        /// The bytes as a JSON string; runs that need no escape are copied whole.
        mutating func escaped(_ bytes: UnsafeRawBufferPointer) {
            put(UInt8(ascii: "\""))
            var start = 0
            for (index, byte) in bytes.enumerated() where JSONText.needsEscape(byte) {
                put(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                JSONText.escape(byte) { put($0) }
            }
            put(UnsafeRawBufferPointer(rebasing: bytes[start...]))
            put(UInt8(ascii: "\""))
        }

        mutating func object(_ json: SensitiveJSON) {
            put(UInt8(ascii: "{"))
            for (index, (name, value)) in json.members.enumerated() {
                if index > 0 { put(UInt8(ascii: ",")) }
                escaped(name)
                put(UInt8(ascii: ":"))
                write(value)
            }
            put(UInt8(ascii: "}"))
        }

        mutating func write(_ value: Value) {
            switch value {
            case .string(let text):
                escaped(text)
            case .secretString(let secret):
                secret.withUnsafeBytes { escaped($0) }
            case .secretBase64(let secret):
                let count = Base64.encodedLength(secret.count)
                put(UInt8(ascii: "\""))
                if let buffer, count <= buffer.count - min(offset, buffer.count) {
                    secret.withUnsafeBytes {
                        Base64.encode(
                            $0, into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + count)]))
                    }
                }
                offset += count
                put(UInt8(ascii: "\""))
            case .raw(let text):
                put(text)
            case .integer(let number):
                if number < 0 { put(UInt8(ascii: "-")) }
                JSONText.withDecimalDigits(of: UInt64(number.magnitude)) { put($0) }
            case .object(let json):
                object(json)
            case .array(let values):
                put(UInt8(ascii: "["))
                for (index, element) in values.enumerated() {
                    if index > 0 { put(UInt8(ascii: ",")) }
                    write(element)
                }
                put(UInt8(ascii: "]"))
            }
        }
    }
}
