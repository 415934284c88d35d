internal import CFFmpeg
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FFmpeg's own log (`av_log`), captured into a small in-memory ring buffer instead of stderr.
///
/// Every FFmpeg call made through PlatetopVideo installs the callback first, so FFmpeg never writes
/// to the terminal while a curses UI is up. The default level is ``Level/error``.
/// All members are safe to use from any thread.
public enum FFmpegLog {
    /// FFmpeg's log levels (`AV_LOG_*`); a message is kept when its level is at or below ``level``.
    public enum Level: Int32, Sendable, Comparable, CaseIterable {
        case quiet = -8, panic = 0, fatal = 8, error = 16, warning = 24, info = 32, verbose = 40, debug = 48

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// How many complete lines the ring buffer keeps.
    public static let capacity = 256

    /// The most severe level still recorded. Wraps `av_log_set_level` / `av_log_get_level`.
    public static var level: Level {
        get {
            installIfNeeded()
            return Level(rawValue: av_log_get_level()) ?? .error
        }
        set {
            installIfNeeded()
            av_log_set_level(newValue.rawValue)
        }
    }

    /// Also write each line to stderr (fd 2). Off by default; turn on only in headless runs.
    public static var echoToStderr: Bool {
        get { logStore.echo.load(ordering: .relaxed) }
        set { logStore.echo.store(newValue, ordering: .relaxed) }
    }

    /// The most recent complete log lines, oldest first, without trailing newlines.
    /// - Parameter limit: at most this many of the newest lines (all kept lines when nil).
    public static func recentLines(limit: Int? = nil) -> [String] {
        installIfNeeded()
        return logStore.ring.withLock { ring in
            let lines = ring.ordered()
            guard let limit, limit < lines.count else { return lines }
            return Array(lines.suffix(max(0, limit)))
        }
    }

    /// Forgets every recorded line.
    public static func clear() {
        logStore.ring.withLock { $0 = LogRing() }
    }

    /// Installs the callback once (thread-safe: Swift runs a global's initialiser exactly once).
    static func installIfNeeded() { _ = logInstalled }

    /// Records one line as if FFmpeg had logged it (used by PlatetopVideo for its own notes).
    static func record(_ text: String) { logStore.append(text) }
}

/// A fixed-size ring of complete lines plus the unterminated tail of the last message.
struct LogRing {
    var lines: [String] = []
    var next = 0
    var partial = ""

    mutating func push(_ line: String) {
        if lines.count < FFmpegLog.capacity {
            lines.append(line)
        } else {
            lines[next] = line
            next = (next + 1) % FFmpegLog.capacity
        }
    }

    func ordered() -> [String] {
        lines.count < FFmpegLog.capacity ? lines : Array(lines[next...] + lines[..<next])
    }
}

/// Sendable: the ring is behind a Mutex and the echo switch is atomic.
final class FFmpegLogStore: Sendable {
    let ring = Mutex(LogRing())
    let echo = Atomic<Bool>(false)

    /// Appends text that may hold several lines or end mid-line (FFmpeg logs partial lines).
    func append(_ text: String) {
        var complete: [String] = []
        ring.withLock { ring in
            var pending = ring.partial + text
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending = String(pending[pending.index(after: newline)...])
                if !line.isEmpty {
                    ring.push(line)
                    complete.append(line)
                }
            }
            ring.partial = pending
        }
        if echo.load(ordering: .relaxed) {
            for line in complete {
                let bytes = Array((line + "\n").utf8)
                _ = bytes.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
            }
        }
    }
}

let logStore = FFmpegLogStore()

let logInstalled: Bool = {
    av_log_set_level(FFmpegLog.Level.error.rawValue)
    av_log_set_callback { avcl, level, format, arguments in
        guard level <= av_log_get_level(), let format, let arguments else { return }
        var buffer = [CChar](repeating: 0, count: 1024)
        var printPrefix: Int32 = 1
        let count = buffer.count
        let written = buffer.withUnsafeMutableBufferPointer {
            av_log_format_line2(avcl, level, format, arguments, $0.baseAddress, Int32(count), &printPrefix)
        }
        guard written > 0 else { return }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        logStore.append(text)
    }
    return true
}()
