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
        // Written into the string's own storage: the extension answers with one on every read.
        return String(unsafeUninitializedCapacity: 24) { out in
            var at = 0
            func put(_ value: Int, _ width: Int) {
                var value = value
                for index in stride(from: at + width - 1, through: at, by: -1) {
                    out[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                at += width
            }
            func put(_ byte: Unicode.Scalar) {
                out[at] = UInt8(ascii: byte)
                at += 1
            }
            put(Int(parts.tm_year) + 1900, 4)
            put("-")
            put(Int(parts.tm_mon) + 1, 2)
            put("-")
            put(Int(parts.tm_mday), 2)
            put("T")
            put(Int(parts.tm_hour), 2)
            put(":")
            put(Int(parts.tm_min), 2)
            put(":")
            put(Int(parts.tm_sec), 2)
            put(".")
            put(millis, 3)
            put("Z")
            return at
        }
    }
}
