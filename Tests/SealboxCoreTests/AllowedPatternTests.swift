import Foundation
import Testing

@testable import SealboxCore

@Suite struct AllowedPatternTests {
    /// Patterns of the kind people write for SSM parameters, and values around them.
    static let patterns = [
        #"^\d+$"#, #"^[a-zA-Z0-9_.-]{3,12}$"#, #"^(https?|ftp)://[^\s/$.?#].[^\s]*$"#, #"\d{4}-\d{2}-\d{2}"#,
        #"^[A-Z][a-z]*( [A-Z][a-z]*)*$"#, #"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$"#, #"^\w+@\w+\.(com|org|net)$"#,
        #"^[^:]+:[0-9]{2,5}$"#, #"colou?r"#, #"^a.c$"#, #"^$"#, #"x*"#, #"^(ab|cd)+e?$"#, #"^\s*\S+\s*$"#,
        #"^[\w-]+$"#, #"^\W"#, #"^[^\d]+$"#, #"\bword\b"#, #"\Bor\B"#, #"^(?<port>\d+)$"#, #"^a{2}b{0,1}c{1,}$"#,
        #"^\Qa.b\E$"#, #"^\x41\u0042\t?$"#, #"[\]\[-]"#, #"^[-a-c]+$"#, #"^[a-c-]+$"#, #"^.*?end$"#,
        #"^(a|)+$"#, #"^(a*)*b$"#, #"\A\d+\z"#, #"^\d+\Z"#, #"^[\d\s]+$"#, #"^[^\W_]+$"#, #"^(?:a+?)+$"#,
    ]
    static let values = [
        "", "5432", "54a2", "abc", "ab", "a.c", "abc_def-1", "https://example.com/x", "http:// bad", "2024-01-31",
        "Hello World", "Hello world", "192.168.0.1", "1.2.3", "me@host.com", "me@host.io", "db:5432", "db:",
        "color", "colour", "abcdabe", "cdcd", "  token  ", "two words", "a-b_c", "!x", "xyz", "word", "a word here",
        "sword", "port", "8080", "aabcc", "aac", "ab", "a.b", "AB\t", "AB", "[", "-", "abc-", "the end", "aaaa",
        "aaab", "12\n", "12\r\n", "1 2 3", "x\ny", "x\u{85}", "\r",
    ]

    /// ICU and Java agree on these values; they differ on \\d, \\w, \\s beyond ASCII (see below).
    @Test func agreesWithNSRegularExpressionOnOrdinaryPatterns() throws {
        for pattern in Self.patterns {
            let compiled = try AllowedPattern(pattern)
            let reference = try NSRegularExpression(pattern: pattern)
            for value in Self.values {
                let expected = reference.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
                #expect(compiled.matches(value) == expected, "\(pattern) on \(value.debugDescription)")
            }
        }
    }

    @Test func nestedQuantifiersRunInLinearTime() throws {
        let pattern = try AllowedPattern("(a+)+$")
        let clock = ContinuousClock()
        let started = clock.now
        #expect(!pattern.matches(String(repeating: "a", count: 4000) + "!"))
        #expect(pattern.matches(String(repeating: "a", count: 4000)))
        #expect(!(try AllowedPattern("^(a|a)*b$")).matches(String(repeating: "a", count: 4000)))
        #expect(!(try AllowedPattern("^(a*)*(b|c)$")).matches(String(repeating: "a", count: 4000) + "!"))
        #expect(clock.now - started < .seconds(2))
    }

    @Test func searchesAnywhereUnlessAnchored() throws {
        #expect(try AllowedPattern("b").matches("abc"))
        #expect(!(try AllowedPattern("^b").matches("abc")))
        #expect(try AllowedPattern("c$").matches("abc\n"))
        #expect(!(try AllowedPattern("c\\z").matches("abc\n")))
    }

    @Test func asciiClassesAsJavaDefinesThem() throws {
        // ICU (NSRegularExpression) takes \d and \w as Unicode; Java, which AWS runs, takes them as ASCII.
        #expect(!(try AllowedPattern(#"^\d$"#).matches("٣")))
        #expect(!(try AllowedPattern(#"^\w$"#).matches("é")))
        #expect(try AllowedPattern(#"^\W$"#).matches("é"))
        #expect(!(try AllowedPattern(#"^\s$"#).matches("\u{2028}")))
        #expect(try AllowedPattern("^.$").matches("é"))
    }

    @Test func constructsThatNeedBacktrackingAreRefusedAsValidation() {
        for pattern in [
            #"(a)\1"#, #"(?<n>a)\k<n>"#, "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?>a+)", "a++", "a*+", "(?i)abc",
            #"\p{Alpha}"#, "[a[b]]", "[a-z&&[^x]]", "a{1001}", "(((a{1000}){1000}))",
        ] {
            let error = #expect(throws: SealboxError.self, "\(pattern)") { _ = try AllowedPattern(pattern) }
            #expect(error?.code == .validation, "\(pattern): \(String(describing: error))")
            #expect(error?.message.contains(pattern) == true)
        }
    }

    @Test func malformedPatternsAreInvalidAllowedPattern() {
        for pattern in ["([a-z", "*a", "a)", "[z-a]", "a{3,2}", "a{", #"\"#, "a**", #"\q"#, "(?<1a>x)"] {
            let error = #expect(throws: SealboxError.self, "\(pattern)") { _ = try AllowedPattern(pattern) }
            #expect(error?.code == .invalidAllowedPattern, "\(pattern): \(String(describing: error))")
        }
    }

    @Test func aCheckBeyondTheStepBudgetIsRefusedUnrun() throws {
        let pattern = #"^(\w{1,100}[a-z]{0,200})*x$"#
        let compiled = try AllowedPattern(pattern)
        #expect(!compiled.fitsBudget(scalars: 8000))
        let check = AllowedPatternCheck(String(repeating: "a", count: 8000), against: pattern)
        #expect(check.failure?.code == .validation)
        #expect(check.failure?.message.contains("too complex") == true)
        #expect(AllowedPatternCheck("abcx", against: pattern).failure == nil)
    }

    @Test func theCheckNamesThePatternAndNeverTheValue() {
        let check = AllowedPatternCheck("s3cr3t-value", against: #"^\d+$"#)
        #expect(check.failure?.code == .parameterPatternMismatch)
        #expect(check.failure?.message.contains(#"^\d+$"#) == true)
        #expect(check.failure?.message.contains("s3cr3t") == false)
        #expect(AllowedPatternCheck("123", against: #"^\d+$"#).failure == nil)
    }
}
