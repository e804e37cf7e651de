/// `POST /v1/test/inspect`: scan one process for the secrets the daemon served it; answered with
/// ``InspectionReport``. The daemon answers 400 without a positive `pid`.
package struct InspectRequest: Codable, Sendable, Equatable {
    /// The process to scan.
    package var pid: Int32?

    /// - Parameter pid: the process id.
    package init(pid: Int32) {
        self.pid = pid
    }
}
