import Foundation
import PlatetopTestSupport
import PlatetopCore
#if canImport(Glibc)
import Glibc
#endif

/// Paths and files shared by the tmux tests.
enum TerminalFixtures {
    /// The package root, from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let demoClip = packageRoot + "/streams/demo.mp4"
    static let demoToml = packageRoot + "/streams/demo.toml"
    /// The project's model, found by platetop's default lookup when it exists.
    static let latinModel = packageRoot + "/models/latin.safetensors"
    static var latinModelPresent: Bool { FileManager.default.fileExists(atPath: latinModel) }
    static var demoPresent: Bool { FileManager.default.fileExists(atPath: demoClip) }

    /// `tmux` on PATH, or nil.
    static let tmux: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let p = "\(dir)/tmux"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    /// The built `platetop`, next to the test bundle (the test target depends on it).
    static let binary: String? = {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("platetop").path)
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("platetop").path)
        for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") {
            candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("platetop").path)
        }
        candidates.append(packageRoot + "/.build/debug/platetop")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// True when tmux, the binary and the demo clip are all there.
    static var canRun: Bool { tmux != nil && binary != nil && demoPresent }

    /// The demo's `expected_plates` from streams/demo.toml.
    static let expectedPlates: [String] = {
        guard let text = try? String(contentsOfFile: demoToml, encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("expected_plates") {
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { continue }
            return line[line.index(after: open)..<close].split(separator: ",").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
            }.filter { !$0.isEmpty }
        }
        return []
    }()

    /// A tiny random-weight LPRNet (gray 94x24, alphabet A-D), written once to a shared temporary
    /// file (same bytes every run, replaced atomically). It reads garbage (often nothing) but drives the
    /// whole pipeline quickly.
    static let tinyModel: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-terminal-tests")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let bytes = Data(TinyModel.bytes())
        let path = dir.appendingPathComponent("tiny-v1.safetensors").path
        if FileManager.default.contents(atPath: path) != bytes {
            let scratch = path + ".\(getpid()).tmp"
            _ = FileManager.default.createFile(atPath: scratch, contents: bytes)
            rename(scratch, path)
        }
        return path
    }()

}

/// A failure of the tmux harness, with what the screen showed.
struct TmuxFailure: Error, CustomStringConvertible {
    var description: String
}

/// One private tmux server (`tmux -L platetop-test-<pid>-<n>`) with one session running a command.
/// `remain-on-exit` is on from the start, so the pane (and its exit status) survives the process.
/// `close()` kills the server; it also runs on deinit.
final class TmuxSession {
    let tmux: String
    let socket: String
    let target = "platetop-test"
    private let configPath: String
    private var socketPath: String?
    private var closed = false
    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    /// Starts `command` (argv) in a detached `columns`x`rows` window with `TERM=term`.
    ///
    /// The command runs under `sh` (which survives a Ctrl-C typed at the program; the program itself
    /// gets the default SIGINT disposition) which, after it exits, prints `[platetop exit N]` and `stty -a`
    /// (to show the terminal modes the program left) and exits with the same status.
    init(_ command: [String], columns: Int = 120, rows: Int = 40, term: String = "tmux-256color",
         directory: String = TerminalFixtures.packageRoot) throws {
        guard let tmux = TerminalFixtures.tmux else { throw TmuxFailure(description: "tmux not found") }
        self.tmux = tmux
        let n = Self.lock.withLock { Self.counter += 1; return Self.counter }
        socket = "platetop-test-\(getpid())-\(n)"
        configPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket).conf").path
        let config = """
            set -g remain-on-exit on
            set -g default-terminal "\(term)"
            set -g history-limit 2000
            set -g status off
            set -g escape-time 0

            """
        _ = FileManager.default.createFile(atPath: configPath, contents: Data(config.utf8))
        let script = "trap : INT; \"$@\"; s=$?; printf '\\n[platetop exit %d]\\n[TERM %s]\\n' \"$s\" \"$TERM\"; stty -a; exit \"$s\""
        let shellCommand = (["sh", "-c", script, "sh"] + command).map(Self.quote).joined(separator: " ")
        let r = run(["new-session", "-d", "-s", target, "-x", "\(columns)", "-y", "\(rows)",
                     "-c", directory, "-e", "TERM=\(term)", "-e", "LC_ALL=C.UTF-8", "-e", "LANG=C.UTF-8",
                     shellCommand], useConfig: true)
        if r.status != 0 {
            close()
            throw TmuxFailure(description: "tmux new-session failed (\(r.status)): \(r.output)")
        }
        socketPath = format("#{socket_path}")
    }

    deinit { close() }

    /// Kills this test's tmux server (idempotent).
    func close() {
        guard !closed else { return }
        closed = true
        _ = run(["kill-server"])
        try? FileManager.default.removeItem(atPath: configPath)
        // tmux 3.3a leaves the socket file behind after kill-server.
        if let socketPath, socketPath.hasSuffix("/" + socket) { unlink(socketPath) }
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs one tmux command on this server; output is stdout and stderr together.
    @discardableResult
    func run(_ args: [String], useConfig: Bool = false) -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        env["TMUX"] = nil
        env["NO_COLOR"] = nil
        env["LC_ALL"] = "C.UTF-8"
        return Self.spawn([tmux, "-u", "-L", socket, "-f", useConfig ? configPath : "/dev/null"] + args,
                          environment: env)
    }

    /// Runs `argv` to completion as a ``CleanProcess`` (empty signal mask, default handlers: a tmux
    /// server started with Dispatch's blocked mask would pass it on to the program under test, so
    /// `kill-server` and the signal tests would not work), output (stdout + stderr) in a temporary file.
    static func spawn(_ argv: [String], environment: [String: String]) -> (status: Int32, output: String) {
        let outPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("platetop-tmux-\(getpid())-\(UUID().uuidString).out").path
        defer { unlink(outPath) }
        let child: CleanProcess
        do { child = try CleanProcess(argv, environment: environment, stdout: outPath) } catch { return (-1, "\(error)") }
        child.waitUntilExit()
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return (child.signalled ? 128 + child.terminationStatus : child.terminationStatus, output)
    }

    /// The visible screen (or also the scrollback), one string, lines joined by `\n`.
    /// `joinWrapped` joins lines the terminal wrapped (`capture-pane -J`).
    /// `escapes` keeps the colour and attribute sequences (`capture-pane -e`).
    func capture(history: Bool = false, joinWrapped: Bool = false, escapes: Bool = false) -> String {
        run(["capture-pane", "-p", "-t", target] + (history ? ["-S", "-2000"] : []) + (joinWrapped ? ["-J"] : [])
            + (escapes ? ["-e"] : [])).output
    }

    /// The visible screen as lines.
    func lines() -> [String] { capture().components(separatedBy: "\n") }

    /// Polls the screen every 50 ms until `predicate` holds; returns that screen or throws with the last one.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 10, history: Bool = false,
                 _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = capture(history: history)
        while !predicate(screen) {
            if Date() > deadline {
                throw TmuxFailure(description: "timed out after \(timeout) s waiting for \(what); screen:\n\(screen)")
            }
            usleep(50_000)
            screen = capture(history: history)
        }
        return screen
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    func waitFor(text: String, timeout: Double = 10, history: Bool = false) throws -> String {
        try waitFor("'\(text)'", timeout: timeout, history: history) { $0.contains(text) }
    }

    /// Sends keys literally (`-l`), e.g. "p", "?", "+".
    func type(_ text: String) { run(["send-keys", "-t", target, "-l", text]) }

    /// Sends a named key, e.g. "Escape", "C-c".
    func press(_ key: String) { run(["send-keys", "-t", target, key]) }

    /// Resizes the window (and its only pane).
    func resize(columns: Int, rows: Int) {
        run(["resize-window", "-t", target, "-x", "\(columns)", "-y", "\(rows)"])
    }

    /// One format string for the pane (`#{pane_dead}` ...).
    func format(_ f: String) -> String {
        run(["display-message", "-p", "-t", target, f]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until the program exited; returns its exit status.
    ///
    /// The status is the one the wrapper `sh` saw (`[platetop exit N]`, printed after the program
    /// returned). The pane's `#{pane_dead_status}` (the wrapper exits with the same status) is checked
    /// too when tmux reports it: tmux 3.3a now and then leaves the pane's process unreaped (a zombie,
    /// `#{pane_dead}` 1 with an empty status) after a curses program ran in it, so it is not required.
    func waitForExit(timeout: Double = 15) throws -> Int32 {
        let screen = try waitFor("the program to exit", timeout: timeout, history: true) {
            $0.range(of: #"\[platetop exit \d+\]"#, options: .regularExpression) != nil
        }
        let r = screen.range(of: #"\[platetop exit \d+\]"#, options: .regularExpression)!
        guard let code = Int32(screen[r].dropFirst("[platetop exit ".count).dropLast()) else {
            throw TmuxFailure(description: "unreadable exit marker in:\n\(screen)")
        }
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            let f = format("#{pane_dead}|#{pane_dead_status}").split(separator: "|", omittingEmptySubsequences: false)
            if f.count == 2, f[0] == "1", let paneStatus = Int32(f[1]) {
                guard paneStatus == code else {
                    throw TmuxFailure(description: "pane_dead_status \(paneStatus) but the wrapper saw \(code)")
                }
                break
            }
            usleep(50_000)
        }
        return code
    }

    /// The pid of the program the pane's `sh` runs (its child), waiting for it to appear.
    func programPID(timeout: Double = 10) throws -> pid_t {
        guard let shell = pid_t(format("#{pane_pid}")) else { throw TmuxFailure(description: "no pane pid") }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let child = Self.children(of: shell).first { return child }
            usleep(50_000)
        }
        throw TmuxFailure(description: "no child of pane shell \(shell)")
    }

    /// Child pids of `parent`, from /proc/<pid>/stat.
    static func children(of parent: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [pid_t] = []
        for e in entries {
            guard let pid = pid_t(e),
                  let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == parent { out.append(pid) }
        }
        return out
    }
}
