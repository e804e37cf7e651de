import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The daemon's Unix socket. [env: SEALBOX_SOCKET] (default: ./.sealbox/sealbox.sock)",
            valueName: "path"))
    var socket: String?

    @Option(name: [.short, .long], help: "table (readable, the default) or json (for scripts).")
    var output: OutputFormat = .table

    @Option(
        help: ArgumentHelp(
            "The region whose keys and aliases KMS commands act on. [env: SEALBOX_REGION] (default: the daemon's --region)",
            valueName: "name"))
    var region: String?

    /// The region to name: the flag, then `$SEALBOX_REGION`; nil leaves it to the daemon.
    var regionName: String? {
        if let region { return region }
        if let fromEnvironment = getenv("SEALBOX_REGION") { return String(cString: fromEnvironment) }
        return nil
    }

    /// The socket to use: the flag, then `$SEALBOX_SOCKET`, then the embedded default.
    var socketPath: String {
        if let socket { return socket }
        if let fromEnvironment = getenv("SEALBOX_SOCKET") { return String(cString: fromEnvironment) }
        return "./.sealbox/sealbox.sock"
    }

    /// A client for the daemon on this socket.
    func daemon() -> DaemonClient { DaemonClient(socketPath: socketPath, region: regionName) }
}
