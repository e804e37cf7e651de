import SealboxCrypto

extension [UInt8] {
    /// Appends a literal's bytes as one copy: through `String.UTF8View` each went the generic
    /// sequence path, a dozen times per audit record.
    mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends `value` in decimal, without making a String of it.
    mutating func appendDecimal(_ value: UInt64) {
        JSONText.withDecimalDigits(of: value) { append(contentsOf: $0) }
    }
}

/// Minimal JSON string quoting for audit and log lines (names and resources, never secrets).
///
/// The byte tests are public and inlinable so that `SensitiveJSON`, in the protocol module, inlines
/// them per byte: `package` functions are called, not inlined, from other modules.
public enum JSONText {
    /// The text as a JSON string literal, quotes included.
    /// - Parameter text: the text.
    package static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the text as a JSON string literal, quotes included. Escaping works byte by byte:
    /// every byte of a multi-byte UTF-8 sequence is 0x80 or above, so none is ever escaped.
    /// - Parameters:
    ///   - text: the text.
    ///   - out: where the literal goes.
    package static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendQuoted($0, to: &out) }
    }

    /// Appends part of a string as a JSON string literal, quotes included.
    /// - Parameters:
    ///   - text: the text.
    ///   - out: where the literal goes.
    package static func appendQuoted(_ text: Substring, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendQuoted($0, to: &out) }
    }

    private static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Runs between escapes are copied whole: audit lines quote several strings per request.
        var start = 0
        for index in bytes.indices where needsEscape(bytes[index]) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            escape(bytes[index]) { out.append($0) }
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        out.append(UInt8(ascii: "\""))
    }

    /// Runs `body` on the decimal digits of `value`, written on the stack: audit lines and response
    /// heads write numbers on every request, and `String(value)` is a conversion and a copy each.
    /// - Parameters:
    ///   - value: the number.
    ///   - body: reads the ASCII digits.
    package static func withDecimalDigits<Result>(
        of value: UInt64, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw in
            var index = raw.count
            var rest = value
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            return body(UnsafeRawBufferPointer(rebasing: raw[index...]))
        }
    }

    /// Whether a byte must be escaped inside a JSON string: a control character, `"` or `\`.
    /// - Parameter byte: one byte of UTF-8 text.
    @inlinable
    public static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Emits the escape of a byte that needs one: `\"`, `\\`, `\n`, `\r`, `\t`, or `\u00XX`.
    /// Shared by these lines and by `SensitiveJSON`, which writes into guarded memory.
    /// - Parameters:
    ///   - byte: a byte for which ``needsEscape(_:)`` holds.
    ///   - emit: takes each byte of the escape in turn.
    @inlinable
    public static func escape(_ byte: UInt8, _ emit: (UInt8) -> Void) {
        emit(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): emit(byte)
        case UInt8(ascii: "\n"): emit(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): emit(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): emit(UInt8(ascii: "t"))
        default:
            // Digit by digit, never through an array: the byte may be part of a secret.
            for digit in [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")] { emit(digit) }
            emit(Hex.digit(byte >> 4))
            emit(Hex.digit(byte & 0x0f))
        }
    }
}
