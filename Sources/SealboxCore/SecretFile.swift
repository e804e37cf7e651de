import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Files that hold secrets (the root key, the credentials file): read straight into guarded memory,
/// refused when they are symbolic links, not regular files, not owned by the daemon's user or
/// readable by group or others, and created with mode 0600 and fsync.
public enum SecretFile {
    /// Reads a secret file.
    /// - Parameters:
    ///   - path: the file.
    ///   - what: how to name it in errors, e.g. "the root key file".
    ///   - checkPermissions: refuse a file that another user owns or that group or others may read.
    ///   - maxBytes: the largest size accepted.
    public static func read(_ path: String, what: String, checkPermissions: Bool = true, maxBytes: Int = 4096) throws
        -> SecureBytes
    {
        // O_NOFOLLOW: a symbolic link planted in place of the file is refused, not followed.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw SetupError(description: "\(what) \(path) is a symbolic link; refused: give the file itself")
            }
            throw SetupError(description: "cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SetupError(description: "cannot stat \(what) \(path)") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SetupError(description: "\(what) \(path) is not a regular file; refused")
        }
        if checkPermissions { try checkOwner(info, path, what: what) }
        if checkPermissions, info.st_mode & 0o077 != 0 {
            throw SetupError(
                description:
                    "\(what) \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run: chmod 600 \(path)"
            )
        }
        var length = 0
        let scratch = try SecureBytes(count: maxBytes + 1) { buffer in
            while length < buffer.count {
                let count = Glibc.read(fd, buffer.baseAddress! + length, buffer.count - length)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                length += count
            }
        }
        guard length <= maxBytes else {
            throw SetupError(description: "\(what) \(path) is larger than \(maxBytes) bytes")
        }
        guard length > 0 else { throw SetupError(description: "\(what) \(path) is empty") }
        return try SecureBytes(count: length) { out in
            scratch.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        }
    }

    /// Refuses a file or directory that the daemon's user does not own (a `credentials` file planted
    /// by another user, say), or that group or others may write.
    /// - Parameters:
    ///   - info: the file's `stat`.
    ///   - path: its path, for the message.
    ///   - what: how to name it in errors.
    public static func checkOwner(_ info: stat, _ path: String, what: String) throws {
        let uid = geteuid()
        guard info.st_uid == uid else {
            throw SetupError(
                description:
                    "\(what) \(path) is owned by uid \(info.st_uid), not by the daemon's uid \(uid); refused: run: chown \(uid) \(path)"
            )
        }
        guard info.st_mode & 0o022 == 0 else {
            throw SetupError(
                description:
                    "\(what) \(path) is writable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); refused: run: chmod go-w \(path)"
            )
        }
    }

    /// Refuses an existing file at `path` that is a symbolic link or not a regular file, belongs to
    /// another user, or is writable by group or others; nothing there is fine.
    /// - Parameters:
    ///   - path: the file.
    ///   - what: how to name it in errors.
    public static func checkExisting(_ path: String, what: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else {
                throw SetupError(description: "cannot stat \(what) \(path): \(String(cString: strerror(errno)))")
            }
            return
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SetupError(description: "\(what) \(path) is not a regular file (a symbolic link?); refused")
        }
        try checkOwner(info, path, what: what)
    }

    /// Writes a secret file anew (through a temporary file and a rename, so readers never see half
    /// of it), with `mode` whatever the umask.
    /// - Parameters:
    ///   - path: the file.
    ///   - contents: what to write.
    ///   - mode: the permissions, e.g. 0o640.
    ///   - what: how to name it in errors.
    public static func replace(_ path: String, contents: SecureBytes, mode: mode_t, what: String) throws {
        let temporary = path + ".new"
        unlink(temporary)
        try create(temporary, contents: contents, what: what, mode: mode)
        guard chmod(temporary, mode) == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw SetupError(description: "cannot install \(what) \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads a secret file whose content is one line of text (an access key secret), without its
    /// trailing newline or spaces.
    /// - Parameters:
    ///   - path: the file.
    ///   - what: how to name it in errors.
    public static func readLine(_ path: String, what: String) throws -> SecureBytes {
        let raw = try read(path, what: what)
        let length = raw.withUnsafeBytes { bytes in
            var end = bytes.count
            while end > 0, [0x0a, 0x0d, 0x20, 0x09].contains(bytes[end - 1]) { end -= 1 }
            return end
        }
        guard length > 0 else { throw SetupError(description: "\(what) \(path) is empty") }
        return try SecureBytes(count: length) { out in
            raw.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        }
    }

    /// Creates a new secret file; fails if it exists.
    /// - Parameters:
    ///   - path: the file.
    ///   - contents: what to write.
    ///   - what: how to name it in errors.
    ///   - mode: the permissions before the umask; 0600 by default.
    public static func create(_ path: String, contents: SecureBytes, what: String, mode: mode_t = 0o600) throws {
        // O_EXCL fails on anything already there, a symbolic link included.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else {
            throw SetupError(description: "cannot create \(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == contents.count, fsync(fd) == 0 else {
            unlink(path)
            throw SetupError(description: "cannot write \(what) \(path)")
        }
    }
}
