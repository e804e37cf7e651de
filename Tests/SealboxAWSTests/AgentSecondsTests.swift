import SealboxCore
import Testing

@testable import SealboxAWS

/// `CreatedDate` as the Secrets Manager Agent writes it: epoch seconds with milliseconds, in a string.
@Suite struct AgentSecondsTests {
    @Test(arguments: [
        (1_569_534_789.046, "1569534789.046"),
        (1_796_677_762.197_862_1, "1796677762.197"),
        (1_700_000_000, "1700000000"),
        (1_700_000_000.5, "1700000000.5"),
        (0, "0"),
    ])
    func writesMillisecondsWithNoTrailingZero(epoch: Double, expected: String) {
        #expect(SecretsManager.agentSeconds(epoch) == expected)
    }
}
