import Foundation
import SealboxAPI
import Testing

/// The test-suite bodies against the JSON `CallRecorder`, `TestingEndpoint` and `sealboxd` write.
@Suite struct TestingWireTests {
    @Test func aSocketCallHasPidUidAndGid() throws {
        // CallRecorder.Call.appendJSON's layout: sorted keys, absent members left out.
        let json =
            #"{"calls":[{"operation":"lease:Redeem","principal":{"gid":1000,"kind":"process","pid":4242,"uid":1000},"resources":["/app/db/password"],"result":"allowed","sequence":2,"status":200,"time":1712345678.5}]}"#
        let list = try WireJSON.decode(RecordedCallList.self, json)
        #expect(list.calls.first?.principal.pid == 4242)
        #expect(list.calls.first?.principal.accessKey == nil)
        #expect(try WireJSON.encode(list) == json)
    }

    @Test func anAccessKeyCallHasNoProcess() throws {
        let json =
            #"{"operation":"kms:Decrypt","principal":{"accessKey":"handlers","kind":"accessKey"},"resources":[],"result":"failed:NotFoundException","sequence":1,"status":400,"time":1712345678}"#
        let call = try WireJSON.decode(RecordedCall.self, json)
        #expect(call.principal.pid == nil)
        #expect(call.principal.accessKey == "handlers")
        #expect(try WireJSON.encode(call) == json)
    }

    @Test func inspectRequestAndReport() throws {
        #expect(try WireJSON.encode(InspectRequest(pid: 4242)) == #"{"pid":4242}"#)
        let json =
            #"{"bytesScanned":1048576,"findings":[{"form":"plaintext","location":"environment","secret":"/app/db/password"}],"pid":4242,"secretsChecked":2,"skipped":["/app/pin"]}"#
        let report = try WireJSON.decode(InspectionReport.self, json)
        #expect(report.findings.map(\.location) == ["environment"])
        #expect(try WireJSON.encode(report) == json)
    }

    @Test func fixturesAppliedCountsEachChange() throws {
        let json = #"{"keysChanged":0,"keysCreated":1,"labelsMoved":0,"parametersWritten":2}"#
        #expect(try WireJSON.decode(FixturesApplied.self, json).parametersWritten == 2)
        #expect(try WireJSON.roundTrip(FixturesApplied.self, json) == json)
    }

    @Test func readyLineWithBothListeners() throws {
        let json = #"{"event":"ready","pid":4242,"socket":"./.sealbox/sealbox.sock","tcp":"127.0.0.1:2773"}"#
        let ready = try WireJSON.decode(DaemonReadyLine.self, json)
        #expect(ready.tcpPort == 2773)
        #expect(try WireJSON.encode(ready) == json)
    }

    @Test func readyLineWithoutTCP() throws {
        let json = #"{"event":"ready","pid":7,"socket":"/tmp/s.sock"}"#
        let ready = try WireJSON.decode(DaemonReadyLine.self, json)
        #expect(ready.tcp == nil)
        #expect(ready.tcpPort == nil)
        #expect(try WireJSON.encode(ready) == json)
    }

    @Test func readyLineWithIPv6() throws {
        let ready = try WireJSON.decode(DaemonReadyLine.self, #"{"event":"ready","pid":7,"tcp":"[::1]:2773"}"#)
        #expect(ready.tcpPort == 2773)
    }
}
