/// Text from the daemon made safe for a terminal: an audit record holds names that callers chose,
/// and a control character in one (an ESC sequence, a C1 CSI, a bidirectional override) would
/// otherwise act on the admin's terminal.
enum TerminalText {
    /// The text with every control character written as `\uXXXX`. Inside a JSON string the escape
    /// means the same character, so a JSON line stays valid and equal in meaning.
    /// - Parameter text: the text.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                out.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            out.append(contentsOf: "\\u\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)".unicodeScalars)
        }
        return String(out)
    }

    /// C0 and C1 controls, DEL, and the bidirectional and line-separator format characters.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1f, 0x7f...0x9f, 0x200e, 0x200f, 0x2028...0x202e, 0x2066...0x2069: true
        default: false
        }
    }
}
