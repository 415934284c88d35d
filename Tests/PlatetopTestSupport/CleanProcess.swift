import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn` the way a shell starts one: an empty signal mask,
/// default signal handlers, and no file descriptors but 0-2.
///
/// Not Foundation's `Process`: test code runs on Dispatch threads, which block SIGTERM, SIGINT,
/// SIGHUP...; a child spawned by `Process` inherits that mask, so a SIGTERM sent to it stays
/// pending for ever (an RTSP server that never stops, a tmux server that passes the mask on to the
/// program under test).
public final class CleanProcess: Sendable {
    public let processIdentifier: pid_t
    /// The raw `waitpid` status once the child has been reaped.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `argv` (`argv[0]` an absolute path) in `directory` (nil: the current one), stdin from
    /// /dev/null, stdout to the file `stdout`, stderr to the file `stderr` (nil: with stdout).
    public init(_ argv: [String], environment: [String: String], directory: String? = nil,
                stdout: String, stderr: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let directory {
            guard let chdir = Self.addChdir else { throw SpawnError(description: "posix_spawn cannot change directory here") }
            _ = chdir(&actions, directory)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv)
        guard rc == 0 else { throw SpawnError(description: "cannot run \(argv[0]): \(String(cString: strerror(rc)))") }
        processIdentifier = pid
    }

    /// Reaps the child if it has exited (`block`: waits for that); returns its status once reaped.
    @discardableResult
    private func reap(block: Bool) -> Int32? {
        reaped.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(processIdentifier, &raw, block ? 0 : WNOHANG) } while r < 0 && errno == EINTR
            if r == processIdentifier { status = raw }
            return status
        }
    }

    public var isRunning: Bool { reap(block: false) == nil }

    public func waitUntilExit() { reap(block: true) }

    /// Whether the child was ended by a signal (valid after it exited).
    public var signalled: Bool { (reap(block: false) ?? 0) & 0x7f != 0 }

    /// The exit code, or the number of the signal that ended the child (as Foundation's `Process`).
    public var terminationStatus: Int32 {
        let raw = reap(block: false) ?? 0
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }

    deinit {
        if reap(block: false) == nil {
            kill(processIdentifier, SIGKILL)
            reap(block: true)
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) and `_addchdir_np` (2.29+), not in
    /// the Swift module map.
    private static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    private static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: T.self) }
    }
}
