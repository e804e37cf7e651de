import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Prints results as a readable table or as JSON.
enum Output {
    /// Prints rows under a header, columns padded to their widest cell; or the JSON value.
    /// - Parameters:
    ///   - format: table or json.
    ///   - json: what `--output json` prints.
    ///   - columns: the header.
    ///   - rows: the cells.
    static func table(_ format: OutputFormat, json: Any, columns: [String], rows: [[String]]) throws {
        if format == .json { return try printJSON(json) }
        if rows.isEmpty {
            print("(none)")
            return
        }
        let widths = columns.indices.map { column in
            ([columns[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(columns.map { $0.uppercased() }))
        for row in rows { print(line(row)) }
    }

    /// Prints `name: value` lines for one object; or the JSON value.
    /// - Parameters:
    ///   - format: table or json.
    ///   - json: what `--output json` prints.
    ///   - fields: the lines, in order; nil values are skipped.
    static func fields(_ format: OutputFormat, json: Any, _ fields: [(String, String?)]) throws {
        if format == .json { return try printJSON(json) }
        let present = fields.compactMap { name, value in value.map { (name, $0) } }
        let width = present.map(\.0.count).max() ?? 0
        for (name, value) in present {
            print("\(name):".padding(toLength: width + 2, withPad: " ", startingAt: 0) + value)
        }
    }

    /// Prints a one-line confirmation; or the JSON value.
    static func done(_ format: OutputFormat, json: Any, _ message: String) throws {
        if format == .json { return try printJSON(json) }
        print(message)
    }

    /// Prints rows under a header; or, for `--output json`, the typed value.
    /// - Parameters:
    ///   - format: table or json.
    ///   - json: what `--output json` prints.
    ///   - columns: the header.
    ///   - rows: the cells.
    static func table(_ format: OutputFormat, json: some Encodable, columns: [String], rows: [[String]]) throws {
        if format == .json { return try printJSON(json) }
        try table(format, json: [String: Any](), columns: columns, rows: rows)
    }

    /// Prints `name: value` lines; or, for `--output json`, the typed value.
    /// - Parameters:
    ///   - format: table or json.
    ///   - json: what `--output json` prints.
    ///   - fields: the lines, in order; nil values are skipped.
    static func fields(_ format: OutputFormat, json: some Encodable, _ fields: [(String, String?)]) throws {
        if format == .json { return try printJSON(json) }
        try self.fields(format, json: [String: Any](), fields)
    }

    /// Prints a one-line confirmation; or, for `--output json`, the typed value.
    static func done(_ format: OutputFormat, json: some Encodable, _ message: String) throws {
        if format == .json { return try printJSON(json) }
        print(message)
    }

    static func printJSON(_ value: Any) throws {
        let data = try JSONSerialization.data(
            withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Prints a typed value as `printJSON(_: Any)` prints the same JSON: indented, keys sorted.
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// An epoch-seconds timestamp as UTC ISO 8601.
    static func date(_ value: Any?) -> String {
        date(seconds: (value as? NSNumber)?.doubleValue)
    }

    /// An epoch-seconds timestamp as UTC ISO 8601; `-` for nil.
    static func date(seconds: Double?) -> String {
        guard let seconds else { return "-" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// Any JSON scalar as text.
    static func text(_ value: Any?) -> String {
        switch value {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        case nil: "-"
        default: "\(value!)"
        }
    }
}

/// A progress bar on stderr, drawn only on a terminal.
struct ProgressBar {
    private let enabled = isatty(STDERR_FILENO) == 1
    let title: String

    func update(done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(title) [\(bar)] \(done)/\(total)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Reads secret values from a file or stdin, never from argv.
enum SecretInput {
    /// The value: `--value-file PATH` if given, else stdin (prompted, without echo, on a terminal).
    /// One trailing newline is dropped, as `echo` and editors add one.
    /// - Parameters:
    ///   - file: the `--value-file` path.
    ///   - prompt: what to ask on a terminal.
    static func read(file: String?, prompt: String) throws -> String {
        var bytes: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError(description: "cannot read --value-file \(file)")
            }
            bytes = Array(data)
        } else if isatty(STDIN_FILENO) == 1 {
            bytes = try promptHidden(prompt)
        } else {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIError(description: "the value is not valid UTF-8")
        }
        return text
    }

    private static func promptHidden(_ prompt: String) throws -> [UInt8] {
        FileHandle.standardError.write(Data("\(prompt): ".utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw CLIError(description: "no value given") }
        return Array(line.utf8)
    }
}
