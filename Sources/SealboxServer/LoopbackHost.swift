/// The `Host` check of the TCP listener: a web page that rebinds its own name to 127.0.0.1 (DNS
/// rebinding) reaches the listener with its own name in `Host`, so a loopback listener answers only
/// requests that name a loopback host (unless `--allow-remote`). An IP literal in `Host` involves no
/// name lookup, so any 127.0.0.0/8 literal is as safe as `localhost`.
enum LoopbackHost {
    /// Whether `host` is `localhost`, `[::1]` or a `127.x.y.z` literal, alone or with `:port`.
    /// Compared byte by byte without allocating: it runs on every TCP request.
    /// - Parameters:
    ///   - host: the `Host` header's value.
    ///   - port: the listener's port, the only one the value may name.
    static func accepts(_ host: String, port: Int) -> Bool {
        var host = host
        return host.withUTF8 { accepts($0, port: port) }
    }

    /// ``accepts(_:port:)`` over the value's UTF-8 bytes.
    static func accepts(_ bytes: UnsafeBufferPointer<UInt8>, port: Int) -> Bool {
        var nameEnd = 0
        if bytes.first == UInt8(ascii: "[") {
            while nameEnd < bytes.count, bytes[nameEnd] != UInt8(ascii: "]") { nameEnd += 1 }
            guard nameEnd < bytes.count else { return false }
            nameEnd += 1
        } else {
            while nameEnd < bytes.count, bytes[nameEnd] != UInt8(ascii: ":") { nameEnd += 1 }
        }
        if nameEnd < bytes.count {
            guard bytes[nameEnd] == UInt8(ascii: ":"), parsePort(bytes, from: nameEnd + 1) == port else { return false }
        }
        let name = UnsafeBufferPointer(rebasing: bytes[0..<nameEnd])
        return isLocalhost(name) || name.elementsEqual("[::1]".utf8) || isLoopbackIPv4(name)
    }

    /// The decimal port after the colon; nil unless it is 1 to 5 digits.
    private static func parsePort(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let count = bytes.count - start
        guard (1...5).contains(count) else { return nil }
        var value = 0
        for index in start..<bytes.count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `localhost` in any case (host names are case-insensitive).
    private static func isLocalhost(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count == 9 && zip(name, "localhost".utf8).allSatisfy { $0 | 0x20 == $1 }
    }

    /// Four decimal octets, each at most 255, the first 127.
    private static func isLoopbackIPv4(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var octets = 0
        var value = 0
        var digits = 0
        var first = -1
        for byte in name {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                if first < 0 { first = value }
                octets += 1
                value = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return false }
            } else {
                return false
            }
        }
        return octets == 3 && digits > 0 && first == 127
    }
}
