import CNcursesw
import Dispatch
import Glibc
import Synchronization

/// State the crash handler reads. Only async-signal-safe work is done with it.
struct CrashState {
    var savedTermios = termios()
    var hasTermios = false
    /// The real stderr (a dup) while stderr is captured, else -1.
    var realStderr: Int32 = -1
    /// The capture file while stderr is captured, else -1.
    var captureFD: Int32 = -1
    /// "\e[?1049l\e[?25h": leave the alternate screen, show the cursor.
    var restoreSequence: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                          UInt8, UInt8, UInt8) = (27, 91, 63, 49, 48, 52, 57, 108, 27, 91, 63, 50, 53, 104, 0, 0)
    var buffer: UnsafeMutablePointer<UInt8>? = nil
}

/// Crash-path storage. `nonisolated(unsafe)` invariant: it is written only on the UI thread while no crash
/// handler can run concurrently with the write that matters (install / capture start and stop), and read
/// only by the crash handler, which then re-raises the signal and never returns.
nonisolated(unsafe) let crashState: UnsafeMutablePointer<CrashState> = {
    let p = UnsafeMutablePointer<CrashState>.allocate(capacity: 1)
    p.initialize(to: CrashState())
    p.pointee.buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
    return p
}()

/// The crash handler: restore termios, leave the alternate screen, show the cursor, replay captured
/// stderr, then re-raise with the default action. Uses only async-signal-safe calls.
private func crashHandler(_ sig: Int32) {
    let s = crashState
    if s.pointee.hasTermios { _ = tcsetattr(STDIN_FILENO, TCSANOW, &s.pointee.savedTermios) }
    withUnsafeBytes(of: &s.pointee.restoreSequence) { raw in _ = write(STDOUT_FILENO, raw.baseAddress, 14) }
    if s.pointee.realStderr >= 0 {
        _ = dup2(s.pointee.realStderr, STDERR_FILENO)
        if s.pointee.captureFD >= 0, let buf = s.pointee.buffer {
            _ = lseek(s.pointee.captureFD, 0, SEEK_SET)
            while true {
                let n = read(s.pointee.captureFD, buf, 4096)
                if n <= 0 { break }
                _ = write(STDERR_FILENO, buf, n)
            }
        }
    }
    _ = signal(sig, SIG_DFL)
    _ = raise(sig)
}

/// Turns SIGINT, SIGTERM and SIGHUP into a stop flag the UI loop polls, and restores the terminal
/// on crash signals.
///
/// The signals are set to `SIG_IGN` and observed with `DispatchSource` signal sources on a utility
/// queue; the handlers only store atomics. SIGWINCH is left to ncurses (`KEY_RESIZE`).
public final class TerminalGuard: Sendable {
    private let stop = Atomic<Bool>(false)
    private let lastSignal = Atomic<Int32>(0)
    private let sources = Mutex<[SignalSourceBox]>([])

    /// `@unchecked Sendable`: the source is only resumed and cancelled under the `sources` mutex.
    private final class SignalSourceBox: @unchecked Sendable {
        let source: DispatchSourceSignal
        let signal: Int32
        init(source: DispatchSourceSignal, signal: Int32) { self.source = source; self.signal = signal }
    }

    public init() {}

    /// The signals turned into a stop request.
    public static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    /// The signals that restore the terminal before the process dies.
    public static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// Ignores `signals` and watches them with Dispatch signal sources; each arrival sets the stop flag.
    public func install(signals: [Int32] = TerminalGuard.stopSignals) {
        sources.withLock { list in
            for sig in signals where !list.contains(where: { $0.signal == sig }) {
                _ = Glibc.signal(sig, SIG_IGN)
                let src = DispatchSource.makeSignalSource(signal: sig, queue: .global(qos: .utility))
                src.setEventHandler { [self] in
                    lastSignal.store(sig, ordering: .relaxed)
                    stop.store(true, ordering: .releasing)
                }
                src.resume()
                list.append(SignalSourceBox(source: src, signal: sig))
            }
        }
    }

    /// Cancels the signal sources and restores the default actions.
    public func uninstall() {
        sources.withLock { list in
            for box in list {
                box.source.cancel()
                _ = Glibc.signal(box.signal, SIG_DFL)
            }
            list.removeAll()
        }
    }

    deinit { uninstall() }

    /// True once a watched signal arrived or `requestStop()` was called.
    public var stopRequested: Bool { stop.load(ordering: .acquiring) }

    /// The last signal received, or nil.
    public var receivedSignal: Int32? {
        let s = lastSignal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Sets the stop flag (from any thread).
    public func requestStop() { stop.store(true, ordering: .releasing) }

    /// Saves the terminal's termios (before curses changes it) and installs the crash handlers that
    /// restore it. Call on the UI thread before `Screen()`.
    public static func saveTerminalState() {
        if tcgetattr(STDIN_FILENO, &crashState.pointee.savedTermios) == 0 { crashState.pointee.hasTermios = true }
        for sig in crashSignals { _ = Glibc.signal(sig, crashHandler) }
    }

    /// Removes the crash handlers (after `endwin`).
    public static func forgetTerminalState() {
        for sig in crashSignals { _ = Glibc.signal(sig, SIG_DFL) }
        crashState.pointee.hasTermios = false
    }

    /// Restores the saved termios and writes `\e[?1049l\e[?25h` (the crash path, callable directly).
    public static func restoreTerminal() {
        if crashState.pointee.hasTermios { _ = tcsetattr(STDIN_FILENO, TCSANOW, &crashState.pointee.savedTermios) }
        withUnsafeBytes(of: &crashState.pointee.restoreSequence) { raw in _ = write(STDOUT_FILENO, raw.baseAddress, 14) }
    }
}

/// Sends stderr (fd 2) to an anonymous file for the curses session and replays it afterwards,
/// so FFmpeg and other C libraries cannot scribble over the screen.
public final class StderrCapture {
    private var captureFD: Int32
    private var realStderr: Int32
    private var stopped = false

    /// Starts capturing: a `memfd` (or an unlinked `mkstemp` file) becomes fd 2.
    /// - Throws: `TerminalError` when no capture file can be made.
    public init() throws(TerminalError) {
        var fd = CNcursesw_memfd("platetop-stderr")
        if fd < 0 {
            var template = Array("/tmp/platetop-stderr-XXXXXX".utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd >= 0 { template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
        }
        guard fd >= 0 else { throw TerminalError("cannot capture stderr: \(String(cString: strerror(errno)))") }
        let saved = dup(STDERR_FILENO)
        guard saved >= 0, dup2(fd, STDERR_FILENO) >= 0 else {
            close(fd)
            if saved >= 0 { close(saved) }
            throw TerminalError("cannot redirect stderr: \(String(cString: strerror(errno)))")
        }
        captureFD = fd
        realStderr = saved
        crashState.pointee.captureFD = fd
        crashState.pointee.realStderr = saved
    }

    /// Puts the real stderr back and writes what was captured to it. Idempotent.
    /// - Returns: the captured bytes as text (possibly empty).
    @discardableResult
    public func stopAndReplay() -> String {
        guard !stopped else { return "" }
        stopped = true
        crashState.pointee.captureFD = -1
        crashState.pointee.realStderr = -1
        _ = dup2(realStderr, STDERR_FILENO)
        close(realStderr)
        var bytes: [UInt8] = []
        _ = lseek(captureFD, 0, SEEK_SET)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(captureFD, $0.baseAddress, 4096) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        close(captureFD)
        if !bytes.isEmpty { bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    deinit { stopAndReplay() }
}
