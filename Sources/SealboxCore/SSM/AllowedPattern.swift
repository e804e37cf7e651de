/// A parameter's `AllowedPattern`, compiled for a match whose time is linear in the value: a Pike VM
/// (Thompson NFA simulation) over the part of Java's regular expression syntax that patterns use.
///
/// A backtracking engine takes exponential time on patterns such as `(a+)+$`; this one visits each
/// instruction at most once per input scalar, whatever the pattern. Constructs that need
/// backtracking (backreferences, lookaround, atomic groups, possessive quantifiers) are refused, as
/// are inline flags, `\p{...}` classes and nested classes. Counted repetition is limited to
/// ``maxRepetition`` and the compiled program to ``maxInstructions``.
///
/// The semantics are Java's default ones, which AWS applies: the pattern may match anywhere in the
/// value (anchor it with `^` and `$`); `\d`, `\w`, `\s` and `\b` are ASCII; `.` matches anything but
/// a line terminator; `$` matches at the end and before a final line terminator.
package struct AllowedPattern: Sendable {
    /// The largest count in `{n}`, `{n,}` or `{n,m}`.
    package static let maxRepetition = 1000
    /// The largest compiled program: bounds a match at this many steps per value scalar.
    package static let maxInstructions = 5000
    /// The most steps (instructions times value scalars) one check may take: writes are committed one
    /// group at a time, so this bounds how long one value can hold up the others.
    package static let maxSteps = 2_000_000

    /// The pattern as written.
    package let source: String
    private let program: [Instruction]
    /// The classes' ranges, as (low, high) pairs, that `.set` instructions index.
    private let bounds: [UInt32]

    /// Parses and compiles a pattern.
    /// - Parameter source: the pattern.
    /// - Throws: `invalidAllowedPattern` for a pattern that is not a regular expression; `validation`
    ///   for one that uses a construct this engine does not run, or is too large.
    package init(_ source: String) throws(SealboxError) {
        self.source = source
        do throws(PatternProblem) {
            var parser = Parser(Array(source.unicodeScalars))
            let node = try parser.parse()
            var compiler = Compiler()
            try compiler.compile(node)
            try compiler.emit(.match)
            program = compiler.program
            bounds = compiler.bounds
        } catch {
            switch error {
            case .invalid(let reason):
                throw SealboxError.invalidAllowedPattern(
                    "The allowed pattern \(source) is not a valid regular expression: \(reason).")
            case .unsupported(let feature):
                throw SealboxError.validation(
                    "The allowed pattern \(source) uses \(feature), which Sealbox does not support: patterns run on a linear-time engine without backreferences, lookaround, atomic groups, possessive quantifiers, inline flags or \\p{...} classes."
                )
            case .tooComplex:
                throw SealboxError.validation(
                    "The allowed pattern \(source) is too complex: Sealbox allows counted repetition up to {\(Self.maxRepetition)} and at most \(Self.maxInstructions) compiled instructions."
                )
            }
        }
    }

    /// Whether a match against `count` scalars stays within ``maxSteps``.
    /// - Parameter count: the value's length in Unicode scalars.
    package func fitsBudget(scalars count: Int) -> Bool {
        program.count * (count + 1) <= Self.maxSteps
    }

    /// Whether the pattern matches somewhere in `value`.
    /// - Parameter value: the parameter value.
    package func matches(_ value: String) -> Bool {
        let input = value.unicodeScalars.map(\.value)
        return input.withUnsafeBufferPointer { input in
            program.withUnsafeBufferPointer { program in
                bounds.withUnsafeBufferPointer { bounds in
                    var matcher = Matcher(program: program, bounds: bounds, input: input)
                    return matcher.run()
                }
            }
        }
    }
}

/// One match: the Pike VM's thread lists over buffers, so the inner loop makes no copies and takes
/// no references.
private struct Matcher {
    let program: UnsafeBufferPointer<Instruction>
    let bounds: UnsafeBufferPointer<UInt32>
    let input: UnsafeBufferPointer<UInt32>
    var current: [Int] = []
    var next: [Int] = []
    /// The position at which each instruction was last added: a thread list holds it at most once.
    var added: [Int]
    var stack: [Int] = []

    init(
        program: UnsafeBufferPointer<Instruction>, bounds: UnsafeBufferPointer<UInt32>,
        input: UnsafeBufferPointer<UInt32>
    ) {
        self.program = program
        self.bounds = bounds
        self.input = input
        added = [Int](repeating: -1, count: program.count)
        current.reserveCapacity(program.count)
        next.reserveCapacity(program.count)
    }

    mutating func run() -> Bool {
        let anchored = if case .assert(.start) = program[0] { true } else { false }
        for position in 0...input.count {
            // A new thread at every position: the match may start anywhere.
            if follow(0, intoNext: false, at: position) { return true }
            guard position < input.count else { break }
            let scalar = input[position]
            next.removeAll(keepingCapacity: true)
            for index in current.indices {
                let pc = current[index]
                let advances: Bool
                switch program[pc] {
                case .scalar(let expected): advances = scalar == expected
                case .set(let start, let end, let negated): advances = contains(scalar, start, end) != negated
                default: advances = false
                }
                if advances, follow(pc + 1, intoNext: true, at: position + 1) { return true }
            }
            swap(&current, &next)
            if current.isEmpty, anchored { return false }
        }
        return false
    }

    /// Binary search over sorted, disjoint (low, high) pairs: a class of many ranges costs a few steps.
    func contains(_ scalar: UInt32, _ start: Int32, _ end: Int32) -> Bool {
        var low = Int(start) / 2
        var high = Int(end) / 2
        while low < high {
            let middle = (low + high) / 2
            if scalar < bounds[2 * middle] {
                high = middle
            } else if scalar > bounds[2 * middle + 1] {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }

    /// Adds the thread at `pc` and every thread its jumps, splits and holding assertions reach to a
    /// thread list; true when one of them is the match.
    mutating func follow(_ pc: Int, intoNext: Bool, at position: Int) -> Bool {
        stack.append(pc)
        while let pc = stack.popLast() {
            guard added[pc] != position else { continue }
            added[pc] = position
            switch program[pc] {
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .assert(let assertion):
                if assertion.holds(at: position, in: input) { stack.append(pc + 1) }
            case .match:
                stack.removeAll(keepingCapacity: true)
                return true
            case .scalar, .set:
                if intoNext { next.append(pc) } else { current.append(pc) }
            }
        }
        return false
    }
}

// MARK: - Program

private enum Instruction: Sendable {
    case scalar(UInt32)
    /// A class: its (low, high) pairs are `bounds[start..<end]`.
    case set(start: Int32, end: Int32, negated: Bool)
    case split(Int, Int)
    case jump(Int)
    case assert(Assertion)
    case match
}

private enum Assertion: Sendable {
    /// `^`, `\A`: the start of the value.
    case start
    /// `$`, `\Z`: the end, or before a line terminator that ends the value.
    case end
    /// `\z`: the very end.
    case absoluteEnd
    case wordBoundary
    case notWordBoundary

    func holds(at position: Int, in input: UnsafeBufferPointer<UInt32>) -> Bool {
        switch self {
        case .start: return position == 0
        case .absoluteEnd: return position == input.count
        case .end:
            let count = input.count
            if position == count { return true }
            if position == count - 1 { return ScalarSet.isLineTerminator(input[position]) }
            return position == count - 2 && input[position] == 0x0D && input[position + 1] == 0x0A
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && ScalarSet.word.contains(input[position - 1])
            let after = position < input.count && ScalarSet.word.contains(input[position])
            return (before != after) == (self == .wordBoundary)
        }
    }
}

/// A set of scalars: sorted, disjoint ranges, possibly negated.
private struct ScalarSet: Sendable {
    var ranges: [ClosedRange<UInt32>]
    var negated = false

    func contains(_ scalar: UInt32) -> Bool {
        var inside = false
        for range in ranges where range.contains(scalar) {
            inside = true
            break
        }
        return inside != negated
    }

    /// The ranges of the scalars this set holds, negation applied.
    var effectiveRanges: [ClosedRange<UInt32>] { negated ? Self.complement(ranges) : ranges }

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in normalized(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }

    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    static func isLineTerminator(_ scalar: UInt32) -> Bool {
        scalar == 0x0A || scalar == 0x0D || scalar == 0x85 || scalar == 0x2028 || scalar == 0x2029
    }

    static let digit = ScalarSet(ranges: [0x30...0x39])
    static let word = ScalarSet(ranges: [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    static let space = ScalarSet(ranges: [0x09...0x0D, 0x20...0x20])
    static let dot = ScalarSet(ranges: [0x0A...0x0A, 0x0D...0x0D, 0x85...0x85, 0x2028...0x2029], negated: true)
}

// MARK: - Parser

private func code(_ scalar: Unicode.Scalar) -> UInt32 { scalar.value }

private enum PatternProblem: Error {
    case invalid(String)
    case unsupported(String)
    case tooComplex
}

private indirect enum Node {
    case empty
    case scalar(UInt32)
    case set(ScalarSet)
    case assert(Assertion)
    case concat([Node])
    case alternation([Node])
    case repetition(Node, min: Int, max: Int?)
}

private struct Parser {
    let scalars: [UInt32]
    var index = 0
    var depth = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars.map(\.value) }

    var peek: UInt32? { index < scalars.count ? scalars[index] : nil }

    func peek(_ offset: Int) -> UInt32? { index + offset < scalars.count ? scalars[index + offset] : nil }

    mutating func take() -> UInt32? {
        guard index < scalars.count else { return nil }
        defer { index += 1 }
        return scalars[index]
    }

    mutating func eat(_ character: Unicode.Scalar) -> Bool {
        guard peek == character.value else { return false }
        index += 1
        return true
    }

    mutating func parse() throws(PatternProblem) -> Node {
        let node = try alternation()
        if index < scalars.count { throw .invalid("unmatched closing ')'") }
        return node
    }

    mutating func alternation() throws(PatternProblem) -> Node {
        var branches = [try concatenation()]
        while eat("|") { branches.append(try concatenation()) }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func concatenation() throws(PatternProblem) -> Node {
        var items: [Node] = []
        while let next = peek, next != code("|"), next != code(")") {
            var atom = try self.atom()
            atom = try quantified(atom)
            items.append(atom)
        }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
    }

    mutating func quantified(_ atom: Node) throws(PatternProblem) -> Node {
        let min: Int
        let max: Int?
        switch peek {
        case code("*"): (min, max) = (0, nil)
        case code("+"): (min, max) = (1, nil)
        case code("?"): (min, max) = (0, 1)
        case code("{"):
            guard let bounds = try countedBounds() else { return atom }
            (min, max) = bounds
            return try suffixed(.repetition(atom, min: min, max: max))
        default: return atom
        }
        index += 1
        return try suffixed(.repetition(atom, min: min, max: max))
    }

    /// A lazy `?` changes nothing for whether a match exists; a possessive `+` needs backtracking.
    mutating func suffixed(_ node: Node) throws(PatternProblem) -> Node {
        if eat("?") { return node }
        if peek == code("+") { throw .unsupported("a possessive quantifier") }
        if let next = peek, [code("*"), code("?"), code("{")].contains(next) {
            throw .invalid("a quantifier cannot follow a quantifier")
        }
        return node
    }

    /// `{n}`, `{n,}` or `{n,m}` at the current `{`.
    mutating func countedBounds() throws(PatternProblem) -> (Int, Int?)? {
        let start = index
        index += 1
        func number(_ parser: inout Parser) throws(PatternProblem) -> Int? {
            var value: Int? = nil
            while let digit = parser.peek, (0x30...0x39).contains(digit) {
                parser.index += 1
                value = (value ?? 0) * 10 + Int(digit - 0x30)
                if value! > AllowedPattern.maxRepetition { throw .tooComplex }
            }
            return value
        }
        guard let low = try number(&self) else {
            index = start
            throw .invalid("'{' must start a repetition such as {2} or {1,3}")
        }
        var high: Int? = low
        if eat(",") { high = try number(&self) }
        guard eat("}") else { throw .invalid("unclosed counted repetition") }
        if let high, high < low { throw .invalid("the repetition {\(low),\(high)} has its bounds reversed") }
        return (low, high)
    }

    mutating func atom() throws(PatternProblem) -> Node {
        guard let scalar = take() else { throw .invalid("unexpected end of pattern") }
        switch scalar {
        case code("("): return try group()
        case code("["): return .set(try characterClass())
        case code("."): return .set(.dot)
        case code("^"): return .assert(.start)
        case code("$"): return .assert(.end)
        case code("\\"): return try escape()
        case code("*"), code("+"), code("?"):
            throw .invalid("dangling quantifier '\(Character(Unicode.Scalar(scalar)!))'")
        case code("{"): throw .invalid("'{' must follow something to repeat")
        default: return .scalar(scalar)
        }
    }

    mutating func group() throws(PatternProblem) -> Node {
        depth += 1
        defer { depth -= 1 }
        // Deep nesting is the one thing whose parsing recursion could exhaust the stack.
        if depth > 100 { throw .tooComplex }
        if eat("?") {
            switch take() {
            case code(":"): break
            case code("="), code("!"): throw .unsupported("lookahead")
            case code(">"): throw .unsupported("an atomic group")
            case code("<"):
                if peek == code("=") || peek == code("!") { throw .unsupported("lookbehind") }
                // A named group: a letter, then letters and digits.
                var length = 0
                while let next = take(), next != code(">") {
                    let letter = (0x41...0x5A).contains(next) || (0x61...0x7A).contains(next)
                    guard letter || (length > 0 && (0x30...0x39).contains(next)) else {
                        throw .invalid("bad group name")
                    }
                    length += 1
                }
                guard length > 0, scalars[index - 1] == code(">") else { throw .invalid("bad group name") }
            default: throw .unsupported("inline flags")
            }
        }
        let inner = try alternation()
        guard eat(")") else { throw .invalid("unclosed group") }
        return inner
    }

    /// An escape outside a class.
    mutating func escape() throws(PatternProblem) -> Node {
        guard let scalar = peek else { throw .invalid("trailing backslash") }
        switch scalar {
        case code("b"):
            index += 1
            return .assert(.wordBoundary)
        case code("B"):
            index += 1
            return .assert(.notWordBoundary)
        case code("A"):
            index += 1
            return .assert(.start)
        case code("Z"):
            index += 1
            return .assert(.end)
        case code("z"):
            index += 1
            return .assert(.absoluteEnd)
        case code("Q"):
            index += 1
            var literal: [Node] = []
            while index < scalars.count {
                if scalars[index] == code("\\"), peek(1) == code("E") {
                    index += 2
                    break
                }
                literal.append(.scalar(scalars[index]))
                index += 1
            }
            return literal.isEmpty ? .empty : .concat(literal)
        case code("1")...code("9"), code("k"): throw .unsupported("a backreference")
        default:
            return try classEscape()
        }
    }

    /// An escape that stands for one scalar or a set; the same inside and outside a class.
    mutating func classEscape() throws(PatternProblem) -> Node {
        guard let scalar = take() else { throw .invalid("trailing backslash") }
        switch scalar {
        case code("d"): return .set(.digit)
        case code("D"): return .set(ScalarSet(ranges: ScalarSet.digit.ranges, negated: true))
        case code("w"): return .set(.word)
        case code("W"): return .set(ScalarSet(ranges: ScalarSet.word.ranges, negated: true))
        case code("s"): return .set(.space)
        case code("S"): return .set(ScalarSet(ranges: ScalarSet.space.ranges, negated: true))
        case code("t"): return .scalar(0x09)
        case code("n"): return .scalar(0x0A)
        case code("r"): return .scalar(0x0D)
        case code("f"): return .scalar(0x0C)
        case code("a"): return .scalar(0x07)
        case code("e"): return .scalar(0x1B)
        case code("0"):
            var value: UInt32 = 0
            var digits = 0
            while digits < 3, let digit = peek, (0x30...0x37).contains(digit), value * 8 + (digit - 0x30) <= 0o377 {
                value = value * 8 + (digit - 0x30)
                index += 1
                digits += 1
            }
            guard digits > 0 else { throw .invalid("\\0 must be followed by octal digits") }
            return .scalar(value)
        case code("x"):
            if eat("{") {
                let value = try hex(maxDigits: 6, exact: false)
                guard eat("}") else { throw .invalid("unclosed \\x{...}") }
                return .scalar(value)
            }
            return .scalar(try hex(maxDigits: 2, exact: true))
        case code("u"): return .scalar(try hex(maxDigits: 4, exact: true))
        case code("c"):
            guard let control = take() else { throw .invalid("\\c needs a letter") }
            return .scalar(control ^ 0x40)
        case code("p"), code("P"): throw .unsupported("a \\p{...} class")
        case code("G"): throw .unsupported("\\G")
        default:
            guard let character = Unicode.Scalar(scalar) else { throw .invalid("bad escape") }
            if ("a"..."z").contains(character) || ("A"..."Z").contains(character) || ("0"..."9").contains(character) {
                throw .invalid("unknown escape \\\(character)")
            }
            return .scalar(scalar)
        }
    }

    mutating func hex(maxDigits: Int, exact: Bool) throws(PatternProblem) -> UInt32 {
        var value: UInt32 = 0
        var digits = 0
        while digits < maxDigits, let next = peek, let digit = Self.hexDigit(next) {
            value = value * 16 + digit
            index += 1
            digits += 1
        }
        guard digits > 0, !exact || digits == maxDigits, value <= 0x10FFFF else { throw .invalid("bad hex escape") }
        return value
    }

    static func hexDigit(_ scalar: UInt32) -> UInt32? {
        switch scalar {
        case 0x30...0x39: scalar - 0x30
        case 0x41...0x46: scalar - 0x41 + 10
        case 0x61...0x66: scalar - 0x61 + 10
        default: nil
        }
    }

    /// A class after its `[`: items, ranges, and escapes, up to the closing `]`.
    mutating func characterClass() throws(PatternProblem) -> ScalarSet {
        let negated = eat("^")
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let scalar = peek else { throw .invalid("unclosed character class") }
            if scalar == code("]") {
                if first { throw .unsupported("']' first in a class (write \\] for a literal ])") }
                index += 1
                break
            }
            first = false
            if scalar == code("[") { throw .unsupported("a nested character class") }
            if scalar == code("&"), peek(1) == code("&") {
                throw .unsupported("a class intersection (&&)")
            }
            let low = try classItem()
            guard case .scalar(let lower) = low else {
                if case .set(let set) = low { ranges += set.effectiveRanges }
                continue
            }
            // A '-' between two single scalars makes a range; first or last, it is itself.
            if peek == code("-"), let after = peek(1), after != code("]") {
                index += 1
                guard case .scalar(let upper) = try classItem() else {
                    throw .invalid("a range cannot end in a class such as \\d")
                }
                guard lower <= upper else { throw .invalid("the class range is reversed") }
                ranges.append(lower...upper)
            } else {
                ranges.append(lower...lower)
            }
        }
        return ScalarSet(ranges: ScalarSet.normalized(ranges), negated: negated)
    }

    mutating func classItem() throws(PatternProblem) -> Node {
        guard let scalar = take() else { throw .invalid("unclosed character class") }
        guard scalar == code("\\") else { return .scalar(scalar) }
        switch peek ?? 0 {
        case code("Q"), code("b"), code("B"): throw .unsupported("this escape inside a class")
        case code("1")...code("9"), code("k"): throw .unsupported("a backreference")
        default: return try classEscape()
        }
    }
}

// MARK: - Compiler

private struct Compiler {
    var program: [Instruction] = []
    var bounds: [UInt32] = []
    private var interned: [[ClosedRange<UInt32>]: (Int32, Int32)] = [:]

    @discardableResult
    mutating func emit(_ instruction: Instruction) throws(PatternProblem) -> Int {
        guard program.count < AllowedPattern.maxInstructions else { throw .tooComplex }
        program.append(instruction)
        return program.count - 1
    }

    mutating func compile(_ node: Node) throws(PatternProblem) {
        switch node {
        case .empty: break
        case .scalar(let scalar): try emit(.scalar(scalar))
        case .set(let set):
            // A repeated class (`[a-z]{100}`) keeps one copy of its ranges.
            let ranges = ScalarSet.normalized(set.ranges)
            let span: (Int32, Int32)
            if let known = interned[ranges] {
                span = known
            } else {
                let start = Int32(bounds.count)
                for range in ranges { bounds += [range.lowerBound, range.upperBound] }
                span = (start, Int32(bounds.count))
                interned[ranges] = span
            }
            try emit(.set(start: span.0, end: span.1, negated: set.negated))
        case .assert(let assertion): try emit(.assert(assertion))
        case .concat(let items):
            for item in items { try compile(item) }
        case .alternation(let branches):
            var exits: [Int] = []
            for branch in branches.dropLast() {
                let split = try emit(.split(0, 0))
                try compile(branch)
                exits.append(try emit(.jump(0)))
                program[split] = .split(split + 1, program.count)
            }
            try compile(branches[branches.count - 1])
            for exit in exits { program[exit] = .jump(program.count) }
        case .repetition(let body, let min, let max):
            for _ in 0..<min { try compile(body) }
            if let max {
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(try emit(.split(0, 0)))
                    try compile(body)
                }
                for split in splits { program[split] = .split(split + 1, program.count) }
            } else {
                let loop = try emit(.split(0, 0))
                try compile(body)
                try emit(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}

/// A value checked against an `AllowedPattern` before the writer lock, so that the match, however
/// long, holds up no other writer.
package struct AllowedPatternCheck: Sendable {
    /// The pattern the value was checked against.
    package var pattern: String
    /// Why the value is refused; nil when it matches.
    package var failure: SealboxError?

    /// Checks `value` against `pattern`.
    /// - Parameters:
    ///   - value: the parameter value.
    ///   - pattern: the pattern, as written.
    package init(_ value: String, against pattern: String) {
        self.pattern = pattern
        do {
            let compiled = try AllowedPattern(pattern)
            let count = value.unicodeScalars.count
            guard compiled.fitsBudget(scalars: count) else {
                failure = SealboxError.validation(
                    "The allowed pattern \(pattern) is too complex to check against a value of \(count) characters: Sealbox allows at most \(AllowedPattern.maxSteps) steps (compiled instructions times value length + 1)."
                )
                return
            }
            failure =
                compiled.matches(value)
                ? nil
                : SealboxError.parameterPatternMismatch(
                    "Parameter value, cannot be validated against allowedPattern: \(pattern)")
        } catch {
            failure = error
        }
    }
}
