import Testing

@testable import SealboxAWS

@Suite struct ISOTimestampTests {
    @Test(arguments: [
        (1_668_586_960.362, "2022-11-16T08:22:40.362Z"),
        (0, "1970-01-01T00:00:00.000Z"),
        (951_782_400.9999, "2000-02-29T00:00:00.999Z"),
        (4_102_444_799.5, "2099-12-31T23:59:59.500Z"),
    ])
    func writesUTCWithMilliseconds(epoch: Double, expected: String) {
        #expect(ISOTimestamp.milliseconds(epoch) == expected)
    }
}
