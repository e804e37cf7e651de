#if canImport(Glibc)
    import Glibc
#endif

/// Times as the Lambda extension and the Secrets Manager Agent write them: ISO 8601 in UTC with
/// milliseconds, `2022-11-16T08:22:40.362Z`, where the AWS APIs send epoch seconds.
package enum ISOTimestamp {
    /// The time `epoch` (seconds since 1970) as `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    /// - Parameter epoch: seconds since the epoch.
    package static func milliseconds(_ epoch: Double) -> String {
        let total = Int64((epoch * 1000).rounded(.down))
        var seconds = time_t(total >= 0 ? total / 1000 : (total - 999) / 1000)
        let millis = Int(total - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(Int(parts.tm_year) + 1900, 4) + "-" + digits(Int(parts.tm_mon) + 1, 2) + "-"
            + digits(Int(parts.tm_mday), 2) + "T" + digits(Int(parts.tm_hour), 2) + ":" + digits(Int(parts.tm_min), 2)
            + ":" + digits(Int(parts.tm_sec), 2) + "." + digits(millis, 3) + "Z"
    }
}
