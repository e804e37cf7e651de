import SealboxCore

/// Collects model-constraint failures and words them as AWS does:
/// `1 validation error detected: Value 'x' at 'field' failed to satisfy constraint: Member must ...`.
public struct Validator: Sendable {
    private var failures: [String] = []
    private var refusal: AWSError?

    public init() {}

    /// Fails unless `value` is present.
    /// - Parameters:
    ///   - value: the field.
    ///   - field: the field's name in lowerCamelCase, as AWS prints it.
    public mutating func required(_ value: (some Any)?, _ field: String) {
        if value == nil {
            failures.append("Value null at '\(field)' failed to satisfy constraint: Member must not be null")
        }
    }

    /// Checks a string's length.
    /// - Parameters:
    ///   - value: the field, skipped when nil.
    ///   - field: the field's name.
    ///   - min: the shortest allowed length.
    ///   - max: the longest allowed length.
    ///   - sensitive: omit the value from the message.
    public mutating func length(_ value: String?, _ field: String, min: Int = 0, max: Int, sensitive: Bool = false) {
        guard let value else { return }
        let count = value.count
        if count < min {
            fail(value, field, "Member must have length greater than or equal to \(min)", sensitive: sensitive)
        } else if count > max {
            fail(value, field, "Member must have length less than or equal to \(max)", sensitive: sensitive)
        }
    }

    /// Checks a blob's size in bytes.
    /// - Parameters:
    ///   - count: the size, skipped when nil.
    ///   - field: the field's name.
    ///   - min: the smallest allowed size.
    ///   - max: the largest allowed size.
    public mutating func size(_ count: Int?, _ field: String, min: Int, max: Int) {
        guard let count else { return }
        if count < min {
            failures.append(
                "Value at '\(field)' failed to satisfy constraint: Member must have length greater than or equal to \(min)"
            )
        } else if count > max {
            failures.append(
                "Value at '\(field)' failed to satisfy constraint: Member must have length less than or equal to \(max)"
            )
        }
    }

    /// Checks an integer's range.
    /// - Parameters:
    ///   - value: the field, skipped when nil.
    ///   - field: the field's name.
    ///   - min: the smallest allowed value.
    ///   - max: the largest allowed value.
    public mutating func range(_ value: Int?, _ field: String, min: Int, max: Int) {
        guard let value else { return }
        if value < min {
            fail("\(value)", field, "Member must have value greater than or equal to \(min)")
        } else if value > max {
            fail("\(value)", field, "Member must have value less than or equal to \(max)")
        }
    }

    /// Checks that a string is one of the model's enum values.
    /// - Parameters:
    ///   - value: the field, skipped when nil.
    ///   - field: the field's name.
    ///   - allowed: the enum values.
    public mutating func oneOf(_ value: String?, _ field: String, _ allowed: [String]) {
        guard let value, !allowed.contains(value) else { return }
        fail(value, field, "Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
    }

    /// Checks that every character of a string is allowed.
    /// - Parameters:
    ///   - value: the field, skipped when nil.
    ///   - field: the field's name.
    ///   - pattern: the pattern text AWS prints.
    ///   - allowed: decides each character.
    public mutating func pattern(
        _ value: String?,
        _ field: String,
        _ pattern: String,
        allowed: (Unicode.Scalar) -> Bool
    ) {
        guard let value, !value.unicodeScalars.allSatisfy(allowed) else { return }
        fail(value, field, "Member must satisfy regular expression pattern: \(pattern)")
    }

    /// Checks a list's length, naming its members in the message as AWS does.
    /// - Parameters:
    ///   - list: the list, skipped when nil.
    ///   - field: the field's name.
    ///   - min: the fewest members allowed.
    ///   - max: the most members allowed.
    public mutating func count(_ list: [String]?, _ field: String, min: Int, max: Int) {
        guard let list, list.count < min || list.count > max else { return }
        fail(
            "[\(list.joined(separator: ", "))]", field,
            list.count < min
                ? "Member must have length greater than or equal to \(min)"
                : "Member must have length less than or equal to \(max)")
    }

    /// Adds a failure worded by the caller.
    /// - Parameter message: the whole constraint sentence.
    public mutating func custom(_ message: String) {
        failures.append(message)
    }

    /// Records a failure AWS answers with an exception of its own (a malformed grant token), which
    /// ``check()`` throws once every model constraint holds; the first one recorded wins.
    /// - Parameter error: the answer.
    public mutating func refuse(_ error: AWSError) {
        if refusal == nil { refusal = error }
    }

    private mutating func fail(_ value: String, _ field: String, _ constraint: String, sensitive: Bool = false) {
        let shown = sensitive ? "Value at" : "Value '\(value)' at"
        failures.append("\(shown) '\(field)' failed to satisfy constraint: \(constraint)")
    }

    /// Throws a `ValidationException` naming every failure, if there were any; else the refusal
    /// recorded with ``refuse(_:)``, if any.
    public func check() throws(AWSError) {
        guard !failures.isEmpty else {
            if let refusal { throw refusal }
            return
        }
        let noun = failures.count == 1 ? "error" : "errors"
        throw AWSError.validation("\(failures.count) validation \(noun) detected: \(failures.joined(separator: "; "))")
    }
}
