import Testing

@testable import SealboxDaemon

@Suite struct HostIsolationTests {
    static let plainProc = """
        22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
        """

    @Test func theInitialNamespaceWithAPlainProcIsFine() {
        #expect(HostIsolation.warnings(uidMap: "         0          0 4294967295\n", mountInfo: Self.plainProc).isEmpty)
    }

    @Test func aNamespaceMappingSomeUIDsIsReported() {
        // What systemd's PrivateUsers=yes sets up for a service user 998.
        let warnings = HostIsolation.warnings(uidMap: "0 0 1\n998 998 1\n", mountInfo: Self.plainProc)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("65534") == true)
    }

    @Test(arguments: ["hidepid=invisible", "hidepid=2", "hidepid=noaccess"])
    func aProcThatHidesOtherUsersProcessesIsReported(option: String) {
        let mountInfo = "22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw,\(option),subset=pid\n"
        let warnings = HostIsolation.warnings(uidMap: "0 0 4294967295", mountInfo: mountInfo)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains(option) == true)
    }

    @Test func hidepidOffHidesNothing() {
        let mountInfo = "22 1 0:21 / /proc rw shared:12 - proc proc rw,hidepid=off\n"
        #expect(HostIsolation.warnings(uidMap: nil, mountInfo: mountInfo).isEmpty)
    }
}
