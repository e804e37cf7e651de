import Foundation
import SealboxCore
import SealboxCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The rotation handlers' processes: runs one step of a handler as Lambda would invoke it (the event
/// JSON on stdin), and tells the server which socket peers are a running handler, so that their
/// calls are made as the policy principal `rotation:<function name>` and nothing else.
public final class RotationHandlers: Sendable {
    private struct Running: Sendable {
        var startTime: UInt64
        var function: String
    }

    private let running = Locked<[Int32: Running]>([:])
    /// How many handlers are running: accepted connections look a peer up only while there are some.
    private let count = Atomic<Int>(0)
    private let endpoint = Locked<String?>(nil)
    /// Where the handler reaches the daemon: `SEALBOX_SOCKET`.
    private let socketPath: String?
    /// Whether TCP callers need no signature (an ephemeral daemon without `--require-auth`).
    private let openTCP: Bool

    /// The most a step may write to stdout, its Lambda return value.
    static let maxOutputBytes = 65_536

    /// - Parameters:
    ///   - socketPath: the daemon's Unix socket, if it has one.
    ///   - openTCP: whether TCP callers need no signature, so a handler's SDK may sign with anything.
    public init(socketPath: String?, openTCP: Bool) {
        self.socketPath = socketPath
        self.openTCP = openTCP
    }

    /// Records the bound TCP listener, which handlers' SDKs reach through `SECRETS_MANAGER_ENDPOINT`.
    /// - Parameter url: `http://HOST:PORT`, or nil without TCP.
    public func setEndpoint(_ url: String?) {
        endpoint.withLock { $0 = url }
    }

    /// The policy principal of a socket peer that is a running handler or one of its descendants.
    /// - Parameter pid: the peer's process id.
    func principal(of pid: Int32) -> String? {
        guard count.load(ordering: .acquiring) > 0 else { return nil }
        var current = pid
        for _ in 0..<16 {
            guard current > 1, let start = ProcFS.startTicks(of: current) else { return nil }
            if let handler = running.withLock({ $0[current] }), handler.startTime == start {
                return "rotation:\(handler.function)"
            }
            guard let parent = Self.parent(of: current) else { return nil }
            current = parent
        }
        return nil
    }

    /// Kills every running handler's process group; their steps end as failed.
    func killAll() {
        running.withLock { table in
            for pid in table.keys { kill(-pid, SIGKILL) }
        }
    }

    /// How one step ended.
    enum StepResult: Equatable {
        case succeeded
        case failed(String)
    }

    /// Runs one step: the executable gets the event on stdin and Lambda's environment, in a process
    /// group of its own that is killed when `timeout` passes. Exit status 0 and nothing, or JSON, on
    /// stdout is success. Its stderr goes nowhere: it may hold what the daemon must not log.
    /// - Parameters:
    ///   - path: the executable.
    ///   - event: the event JSON.
    ///   - function: the Lambda function's name, which is also its principal's.
    ///   - region: the secret's region.
    ///   - timeout: seconds.
    func run(path: String, event: [UInt8], function: String, region: String, timeout: Double) -> StepResult {
        var environment = [
            "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "AWS_REGION=\(region)",
            "AWS_DEFAULT_REGION=\(region)", "AWS_LAMBDA_FUNCTION_NAME=\(function)",
        ]
        if let socketPath { environment.append("SEALBOX_SOCKET=\(socketPath)") }
        if let url = endpoint.withLock({ $0 }) {
            environment += ["SECRETS_MANAGER_ENDPOINT=\(url)", "AWS_ENDPOINT_URL=\(url)"]
            // An open daemon takes any signature; an SDK still wants credentials to sign with.
            if openTCP { environment += ["AWS_ACCESS_KEY_ID=sealbox-rotation", "AWS_SECRET_ACCESS_KEY=unused"] }
        }
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        guard Self.pipe(&input) else { return .failed("no pipe: errno \(errno)") }
        guard Self.pipe(&output) else {
            close(input[0])
            close(input[1])
            return .failed("no pipe: errno \(errno)")
        }
        let pid = running.withLock { table -> Int32 in
            // Registered under the lock the peer lookup takes, so no connection sees it unregistered.
            let pid = Self.spawn(path, environment: environment, stdin: input[0], stdout: output[1])
            if pid > 0 {
                table[pid] = Running(startTime: ProcFS.startTicks(of: pid) ?? 0, function: function)
                count.add(1, ordering: .releasing)
            }
            return pid
        }
        close(input[0])
        close(output[1])
        defer {
            running.withLock { _ = $0.removeValue(forKey: pid) }
            if pid > 0 { count.subtract(1, ordering: .releasing) }
            close(output[0])
        }
        guard pid > 0 else {
            close(input[1])
            return .failed("\(path) could not be started: \(String(cString: strerror(-pid)))")
        }
        _ = event.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
        close(input[1])
        let deadline = Self.monotonic() + timeout
        var stdout: [UInt8] = []
        var failure: String? = nil
        var chunk = [UInt8](repeating: 0, count: 4096)
        while failure == nil {
            let left = deadline - Self.monotonic()
            guard left > 0 else {
                failure = "timed out after \(Int(timeout)) s"
                break
            }
            var poller = pollfd(fd: output[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left * 1000, 1000).rounded(.up)))
            if ready < 0, errno != EINTR { failure = "could not read its output: errno \(errno)" }
            guard ready > 0 else { continue }
            let got = chunk.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
            if got < 0, errno == EINTR || errno == EAGAIN { continue }
            guard got > 0 else { break }
            stdout += chunk[0..<got]
            if stdout.count > Self.maxOutputBytes { failure = "wrote more than \(Self.maxOutputBytes) bytes" }
        }
        var status: Int32 = 0
        while failure == nil {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            guard Self.monotonic() < deadline else {
                failure = "timed out after \(Int(timeout)) s"
                break
            }
            usleep(10_000)
        }
        if let failure {
            kill(-pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return .failed(failure)
        }
        // Descendants left behind go with the group.
        kill(-pid, SIGKILL)
        let exited = status & 0x7f == 0
        guard exited else { return .failed("was killed by signal \(status & 0x7f)") }
        let code = (status >> 8) & 0xff
        guard code == 0 else { return .failed("exited with status \(code)") }
        let text = stdout.drop { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        guard text.isEmpty || (try? JSONSerialization.jsonObject(with: Data(text), options: .fragmentsAllowed)) != nil
        else {
            return .failed("wrote something other than JSON on stdout")
        }
        return .succeeded
    }

    /// posix_spawn in a new process group with default signal handling; a negative errno on failure.
    private static func spawn(_ path: String, environment: [String], stdin: Int32, stdout: Int32) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        return result == 0 ? pid : -result
    }

    /// A pipe whose ends are closed on exec: the child gets only the ends it is given.
    private static func pipe(_ ends: inout [Int32]) -> Bool {
        guard Glibc.pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func parent(of pid: Int32) -> Int32? {
        guard let stat = ProcFS.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 1 else { return nil }
        return Int32(String(decoding: fields[1], as: UTF8.self))
    }

    private static func monotonic() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
