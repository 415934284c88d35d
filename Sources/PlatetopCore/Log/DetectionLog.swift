import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON Lines file of plate events that survives `kill -9`.
///
/// The file is opened with `O_APPEND`; each event is one line written with a single `write(2)`
/// (looping only on a short write) followed by `fdatasync(2)` (`fsync` where that is missing), so a
/// killed process loses at most the event being written, and readers skip a torn last line.
/// When a `saveCrop` closure is given, each event's `bestCrop` is saved first as
/// `<log name without .jsonl>-crops/<event id>.png` next to the log, and that path is recorded in `crop`.
/// A crop that fails to save is counted (`cropFailures`, `lastCropError`) and the line is still written
/// with `crop: null`: the event itself is never lost for a crop.
///
/// Thread-safe: all file work happens under a lock, so it may be called from any one queue
/// (the design puts it on `platetop.log`).
public final class DetectionLog: Sendable {
    /// Saves a crop as an image file at the given path (the PNG encoder lives in PlatetopVideo).
    public typealias CropWriter = @Sendable (PixelImage, String) throws -> Void

    /// A detection-log failure with a one-line message naming the file.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(_ message: String) { self.message = message }
    }

    /// The log file's path as given.
    public let path: String
    /// Folder for crops: `<dir of path>/<log base name>-crops`.
    public let cropDirectory: String
    private let timeZone: TimeZone
    private let sync: Bool
    private let saveCrop: CropWriter?
    private let state: Mutex<State>

    private struct State {
        var fd: Int32
        var written = 0
        var cropFailures = 0
        var lastCropError: String?
        var cropDirectoryReady = false
    }

    /// Opens (creating it and its parent folders if needed) the log for appending.
    /// - Parameters:
    ///   - path: The `.jsonl` file.
    ///   - timeZone: Zone for the `first_seen` / `last_seen` offsets (default: current).
    ///   - sync: Whether to `fdatasync` after each line (turn off only in tests or benchmarks).
    ///   - saveCrop: Writes a crop image to a path; nil records no crops.
    /// - Throws: `Failure` when the folder cannot be created or the file cannot be opened.
    public init(path: String, timeZone: TimeZone = .current, sync: Bool = true, saveCrop: CropWriter? = nil) throws(Failure) {
        self.path = path
        self.timeZone = timeZone
        self.sync = sync
        self.saveCrop = saveCrop
        let url = URL(fileURLWithPath: path)
        let parent = (path as NSString).deletingLastPathComponent
        var base = url.lastPathComponent
        if base.hasSuffix(".jsonl") { base.removeLast(6) }
        cropDirectory = parent.isEmpty ? base + "-crops" : (parent as NSString).appendingPathComponent(base + "-crops")
        if !parent.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw Failure("cannot create folder for detection log '\(path)': \(Self.describe(error))")
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Failure("cannot open detection log '\(path)': \(String(cString: strerror(errno)))")
        }
        state = Mutex(State(fd: fd))
    }

    deinit {
        state.withLock { s in
            if s.fd >= 0 { _ = posixClose(s.fd); s.fd = -1 }
        }
    }

    /// Closes the file; later appends fail.
    public func close() {
        state.withLock { s in
            if s.fd >= 0 { _ = posixClose(s.fd); s.fd = -1 }
        }
    }

    /// Saves the event's crop (if any and if a writer was given), then appends its JSON line and syncs.
    /// - Parameter event: The event to log.
    /// - Returns: The event as written, with `cropPath` set when its crop was saved.
    /// - Throws: `Failure` when the line cannot be written or synced (or the log is closed).
    @discardableResult
    public func append(_ event: PlateEvent) throws(Failure) -> PlateEvent {
        try state.withLock { (s: inout State) throws(Failure) -> PlateEvent in
            guard s.fd >= 0 else { throw Failure("detection log '\(path)' is closed") }
            var event = event
            if let saveCrop, let crop = event.bestCrop {
                let cropPath = (cropDirectory as NSString).appendingPathComponent(Self.fileSafe(event.id) + ".png")
                do {
                    if !s.cropDirectoryReady {
                        try FileManager.default.createDirectory(atPath: cropDirectory, withIntermediateDirectories: true)
                        s.cropDirectoryReady = true
                    }
                    try saveCrop(crop, cropPath)
                    event.cropPath = cropPath
                } catch {
                    s.cropFailures += 1
                    s.lastCropError = "cannot save crop '\(cropPath)': \(Self.describe(error))"
                    event.cropPath = nil
                }
            }
            let line = Array(Self.encodeLine(event, timeZone: timeZone).utf8) + [0x0A]
            var offset = 0
            while offset < line.count {
                let n = line.withUnsafeBytes { raw in write(s.fd, raw.baseAddress! + offset, raw.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure("cannot write detection log '\(path)': \(String(cString: strerror(errno)))")
                }
                offset += n
            }
            if sync {
                #if os(Linux)
                let rc = fdatasync(s.fd)
                #else
                let rc = fsync(s.fd)
                #endif
                if rc != 0 && errno != EINVAL {
                    throw Failure("cannot sync detection log '\(path)': \(String(cString: strerror(errno)))")
                }
            }
            s.written += 1
            return event
        }
    }

    /// Lines appended by this instance.
    public var eventsWritten: Int { state.withLock { $0.written } }
    /// Crops that could not be saved.
    public var cropFailures: Int { state.withLock { $0.cropFailures } }
    /// The latest crop failure, one line.
    public var lastCropError: String? { state.withLock { $0.lastCropError } }

    /// The JSON object for one event, without the newline, keys in the documented order.
    public static func encodeLine(_ event: PlateEvent, timeZone: TimeZone = .current) -> String {
        event.jsonLine(timeZone: timeZone)
    }

    /// `platetop-<yyyy-mm-dd>-<stream>.jsonl` in the current folder, the date in `timeZone`; characters of
    /// the stream name other than letters, digits, `-`, `_` and `.` become `_`.
    public static func defaultPath(stream: String, date: Date, timeZone: TimeZone = .current) -> String {
        "platetop-\(LogTimestamp.dayString(from: date, timeZone: timeZone))-\(fileSafe(stream)).jsonl"
    }

    /// Reads every event of a log.
    ///
    /// Blank lines are skipped, and so is a last line without its newline (a write torn by a kill).
    /// - Throws: `Failure` naming the file and line when the file cannot be read or a complete line is not an event.
    public static func readEvents(path: String) throws(Failure) -> [PlateEvent] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure("cannot read detection log '\(path)': \(describe(error))")
        }
        let bytes = [UInt8](data)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last != 0x0A, !lines.isEmpty { lines.removeLast() }   // torn (or empty) final line
        let decoder = JSONDecoder()
        var events: [PlateEvent] = []
        for (n, line) in lines.enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
            do {
                events.append(try decoder.decode(PlateEvent.self, from: Data(line)))
            } catch {
                throw Failure("\(path):\(n + 1): not a plate event: \(describeDecoding(error))")
            }
        }
        return events
    }

    /// The highest sequence number among `stream`'s event ids in the log (`"cam-000042"` → 42), or 0
    /// when the file is missing or has none; feed `+ 1` to `PlateTracker.setNextSequence`.
    public static func lastSequence(path: String, stream: String) -> Int {
        guard let events = try? readEvents(path: path) else { return 0 }
        let prefix = stream + "-"
        return events.compactMap { $0.id.hasPrefix(prefix) ? Int($0.id.dropFirst(prefix.count)) : nil }.max() ?? 0
    }

    static func fileSafe(_ name: String) -> String {
        let out = String(name.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") ? c : "_"
        })
        return out.isEmpty || out == "." || out == ".." ? "stream" : out
    }

    static func describe(_ error: Error) -> String {
        if let f = error as? Failure { return f.message }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return "\(error)"
    }

    private static func describeDecoding(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "missing key '\(key.stringValue)'"
        case let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx):
            return "wrong type at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))'"
        case let DecodingError.dataCorrupted(ctx):
            return ctx.codingPath.isEmpty ? "invalid JSON" : ctx.debugDescription
        default: return "\(error)"
        }
    }
}

/// `close(2)`, named so it does not collide with `DetectionLog.close()`.
private func posixClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #elseif canImport(Musl)
    return Musl.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
