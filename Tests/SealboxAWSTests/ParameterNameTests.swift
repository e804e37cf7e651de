import Testing

@testable import SealboxAWS
@testable import SealboxCore

@Suite struct ParameterNameTests {
    private let context = RequestContext(
        region: "us-east-1", accountID: "123456789012", principal: .anonymous,
        action: SSM.operations["GetParameter"]!.action)

    @Test(arguments: [
        ("/app/db", "/app/db", nil),
        ("plain", "plain", nil),
        ("/app/db:3", "/app/db", ParameterName.Selector.version(3)),
        ("/app/db:prod", "/app/db", .label("prod")),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/app/db", "/app/db", nil),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/plain:2", "plain", .version(2)),
        ("arnold", "arnold", nil),
    ])
    func namesSelectorsAndARNs(text: String, name: String, selector: ParameterName.Selector?) throws {
        let reference = try ParameterName.parse(text, context)
        #expect(reference.name == name)
        #expect(reference.selector == selector)
        #expect(reference.original == text)
    }

    @Test(arguments: ["/app/db:", "arn:aws:kms:us-east-1:123456789012:parameter/x", "arn:aws:ssm:us-east-1:1:key/x"])
    func malformedReferencesAreRefused(text: String) {
        expectError(.validation) { try ParameterName.parse(text, context) }
    }

    @Test(arguments: [("/app/db", "app/db"), ("app/db", "app/db"), ("/", ""), ("", ""), ("//x", "/x")])
    func aBareNameLosesOneLeadingSlash(name: String, bare: String) {
        #expect(ParameterName.bare(name) == bare)
        #expect(String(ParameterName.bare(name)) == bare)
    }
}
