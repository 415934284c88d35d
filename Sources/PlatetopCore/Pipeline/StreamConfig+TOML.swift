import Foundation
import TOMLKit

extension StreamConfig {
    /// Every top-level key a stream file may use.
    public static let fileKeys = [
        "name", "url", "transport", "roi", "detector", "detector_min_score", "detector_width", "model", "max_fps",
        "min_confidence", "patterns", "watchlist", "log", "expected_plates", "description", "event_window",
        "repeat_memory", "open_timeout", "read_timeout", "exit_on_failure",
    ]

    /// Keys of the `[detector]` table.
    public static let detectorKeys = ["min_score", "width"]

    /// Reads and checks a stream file.
    ///
    /// Relative paths in `url`, `model`, `watchlist` and `log` are resolved against the file's folder;
    /// `${NAME}` placeholders in `url` are expanded from `environment`; the watchlist is loaded to check it.
    /// - Parameters:
    ///   - path: The TOML file, e.g. `streams/cam.toml` (used as given in error messages).
    ///   - environment: Variables for placeholders (default: this process's environment).
    /// - Returns: The configuration; `name` defaults to the file stem.
    /// - Throws: `StreamConfigError`, one line, e.g. `streams/cam.toml: key 'max_fps': expected a number > 0, got "fast"`
    ///   or `streams/cam.toml:3: invalid TOML: …`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(StreamConfigError) -> StreamConfig
    {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StreamConfigError("\(path): cannot read stream file: \(readFailure(error))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StreamConfigError("\(path): stream file is not UTF-8 text")
        }
        let fileURL = URL(fileURLWithPath: path)
        return try StreamConfig(
            toml: text, source: path, baseDirectory: fileURL.deletingLastPathComponent().path,
            defaultName: fileURL.deletingPathExtension().lastPathComponent, environment: environment)
    }

    /// Parses a stream definition.
    /// - Parameters:
    ///   - toml: The document.
    ///   - source: The file name used in error messages and kept in `sourceFile`.
    ///   - baseDirectory: Folder that relative paths are resolved against.
    ///   - defaultName: The name when the document has no `name` key.
    ///   - environment: Variables for `${NAME}` placeholders in `url`.
    /// - Throws: `StreamConfigError` for the first problem found.
    public init(toml: String, source: String, baseDirectory: String, defaultName: String,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(StreamConfigError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw StreamConfigError("\(source):\(error.source.begin.line): invalid TOML: \(error.description)")
        } catch {
            throw StreamConfigError("\(source): invalid TOML: \(error)")
        }
        let reader = KeyReader(table: table, source: source, prefix: "")

        for key in table.keys.sorted() where !Self.fileKeys.contains(key) {
            throw reader.error(key, "unknown key" + Self.suggestion(for: key, among: Self.fileKeys))
        }

        // url (required)
        guard let rawURL = try reader.string("url") else {
            throw reader.error("url", "missing (every stream file needs a url)")
        }
        let expansion = try Self.expandURL(rawURL, source: source, environment: environment)
        var url = expansion.text
        if Self.scheme(of: url) == nil { url = Self.resolve(url, against: baseDirectory, environment: environment) }

        let name = try reader.string("name") ?? defaultName
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw reader.error("name", "must not be empty") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw reader.error("name", "must not contain control characters")
        }

        var transport = Transport.tcp
        if let v = table["transport"] {
            guard let s = v.string, let t = Transport(rawValue: s.lowercased()) else {
                throw reader.error("transport", "expected \"tcp\" or \"udp\", got \(Self.describe(v))")
            }
            transport = t
        }

        var roi: RegionOfInterest?
        if let s = try reader.string("roi", expected: "a string \"x,y,w,h\"") {
            do {
                roi = try RegionOfInterest(parsing: s)
            } catch {
                throw reader.error("roi", error.message)
            }
        }

        let detector = try Self.readDetector(table, reader: reader, hasROI: roi != nil)

        func path(_ key: String) throws(StreamConfigError) -> String? {
            guard let p = try reader.string(key) else { return nil }
            return Self.resolve(p, against: baseDirectory, environment: environment)
        }
        let model = try path("model")
        let watchlist = try path("watchlist")
        let log = try path("log")

        let maxFPS = try reader.number("max_fps", .positive)
        let minConfidence = try reader.number("min_confidence", .unit)

        var patterns: [PlatePattern] = []
        if let strings = try reader.strings("patterns") {
            for (i, s) in strings.enumerated() {
                do {
                    patterns.append(try PlatePattern(s))
                } catch {
                    throw reader.error("patterns", "entry \(i + 1): \(error.description)")
                }
            }
        }

        var expectedPlates: [String] = []
        if let strings = try reader.strings("expected_plates") {
            for (i, s) in strings.enumerated() {
                let plate = PlateText.normalized(s)
                guard !plate.isEmpty else { throw reader.error("expected_plates", "entry \(i + 1) is empty") }
                expectedPlates.append(plate)
            }
        }

        let summary = try reader.string("description", allowEmpty: true)
        let eventWindow = try reader.number("event_window", .positive)
        let repeatMemory = try reader.number("repeat_memory", .nonNegative)
        let openTimeout = try reader.number("open_timeout", .positive)
        let readTimeout = try reader.number("read_timeout", .positive)
        var exitOnFailure = false
        if let v = table["exit_on_failure"] {
            guard let b = v.bool else { throw reader.error("exit_on_failure", "expected true or false, got \(Self.describe(v))") }
            exitOnFailure = b
        }

        self.init(name: name, url: url, transport: transport, roi: roi, detector: detector, model: model,
                  maxFPS: maxFPS, minConfidence: minConfidence, patterns: patterns, watchlist: watchlist, log: log,
                  expectedPlates: expectedPlates, summary: summary, eventWindow: eventWindow,
                  repeatMemory: repeatMemory, openTimeout: openTimeout, readTimeout: readTimeout,
                  exitOnFailure: exitOnFailure, secrets: expansion.secrets, sourceFile: source)

        // Checked last so that every key is known to be well formed first.
        if watchlist != nil { _ = try loadWatchlist() }
    }

    // MARK: - Pieces

    /// `detector = true|false`, a `[detector]` table, and the top-level `detector_*` keys.
    private static func readDetector(_ table: TOMLTable, reader: KeyReader, hasROI: Bool)
        throws(StreamConfigError) -> DetectorOptions?
    {
        var options: DetectorOptions?
        var switchedOff = false
        if let v = table["detector"] {
            if let b = v.bool {
                if b { options = DetectorOptions() } else { switchedOff = true }
            } else if let t = v.table {
                let inner = KeyReader(table: t, source: reader.source, prefix: "detector.")
                for key in t.keys.sorted() where !detectorKeys.contains(key) {
                    throw inner.error(key, "unknown key (allowed: \(detectorKeys.joined(separator: ", ")))")
                }
                options = DetectorOptions(minScore: try inner.number("min_score", .unit),
                                          width: try inner.integer("width", atLeast: 64))
            } else {
                throw reader.error("detector", "expected true, false or a [detector] table, got \(describe(v))")
            }
        }
        let minScore = try reader.number("detector_min_score", .unit)
        let width = try reader.integer("detector_width", atLeast: 64)
        for (key, given, inTable) in [("detector_min_score", minScore != nil, options?.minScore != nil),
                                      ("detector_width", width != nil, options?.width != nil)] where given {
            if switchedOff { throw reader.error(key, "cannot be used with detector = false") }
            if inTable {
                throw reader.error(key, "given twice (also as detector.\(key.dropFirst("detector_".count)))")
            }
        }
        if minScore != nil || width != nil {
            var d = options ?? DetectorOptions()
            if let minScore { d.minScore = minScore }
            if let width { d.width = width }
            options = d
        }
        if switchedOff && !hasROI {
            throw reader.error("detector", "false needs an 'roi' (without the detector, plates are read only in the roi)")
        }
        return options
    }

    /// A relative path joined to `base` and standardised; `~/…` uses HOME; absolute paths are kept.
    static func resolve(_ path: String, against base: String, environment: [String: String]) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/"), let home = environment["HOME"] {
            return URL(fileURLWithPath: home).appendingPathComponent(String(path.dropFirst(2))).standardizedFileURL.path
        }
        return URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent(path).standardizedFileURL.path
    }

    /// ` (did you mean 'x'?)` for a near miss, otherwise ` (see streams/README.md)`.
    static func suggestion(for key: String, among keys: [String]) -> String {
        let best = keys.map { ($0, PlateText.editDistance(key.lowercased(), $0)) }.min { $0.1 < $1.1 }
        if let best, best.1 <= 2 { return " (did you mean '\(best.0)'?)" }
        return " (see streams/README.md for the keys)"
    }

    /// A TOML value as shown after "got": strings quoted, numbers and booleans as written, containers by kind.
    static func describe(_ v: TOMLValueConvertible) -> String {
        switch v.type {
        case .string: return quoted(v.string ?? "")
        case .int: return v.int.map(String.init) ?? "an integer"
        case .double: return v.double.map { "\($0)" } ?? "a number"
        case .bool: return v.bool.map { $0 ? "true" : "false" } ?? "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        case .date: return "a date"
        case .time: return "a time"
        case .dateTime: return "a date-time"
        }
    }

    /// A double-quoted string with quotes, backslashes and control characters escaped (stays on one line).
    static func quoted(_ s: String) -> String { JSONText.quoted(s) }

    /// The reason a file could not be read, as `strerror` words where the error allows.
    static func readFailure(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileReadNoSuchFile, .fileNoSuchFile: return String(cString: strerror(ENOENT))
            case .fileReadNoPermission: return String(cString: strerror(EACCES))
            default: break
            }
        }
        return ns.localizedDescription
    }
}

/// Typed access to one table's keys with the one-line errors of `StreamConfigError`.
private struct KeyReader {
    enum Range {
        case positive, nonNegative, unit
        var text: String {
            switch self {
            case .positive: return "a number > 0"
            case .nonNegative: return "a number >= 0"
            case .unit: return "a number in 0...1"
            }
        }
        func contains(_ v: Double) -> Bool {
            guard v.isFinite else { return false }
            switch self {
            case .positive: return v > 0
            case .nonNegative: return v >= 0
            case .unit: return (0...1).contains(v)
            }
        }
    }

    let table: TOMLTable
    let source: String
    let prefix: String

    func error(_ key: String, _ problem: String) -> StreamConfigError {
        StreamConfigError(source: source, key: prefix + key, problem)
    }

    func string(_ key: String, expected: String = "a string", allowEmpty: Bool = false)
        throws(StreamConfigError) -> String?
    {
        guard let v = table[key] else { return nil }
        guard let s = v.string else { throw error(key, "expected \(expected), got \(StreamConfig.describe(v))") }
        if !allowEmpty && s.trimmingCharacters(in: .whitespaces).isEmpty { throw error(key, "must not be empty") }
        return s
    }

    func strings(_ key: String) throws(StreamConfigError) -> [String]? {
        guard let v = table[key] else { return nil }
        guard let array = v.array else {
            throw error(key, "expected an array of strings, got \(StreamConfig.describe(v))")
        }
        var out: [String] = []
        for (i, item) in array.enumerated() {
            guard let s = item.string else {
                throw error(key, "entry \(i + 1): expected a string, got \(StreamConfig.describe(item))")
            }
            out.append(s)
        }
        return out
    }

    func number(_ key: String, _ range: Range) throws(StreamConfigError) -> Double? {
        guard let v = table[key] else { return nil }
        let value = v.double ?? v.int.map(Double.init)
        guard let value, range.contains(value) else {
            throw error(key, "expected \(range.text), got \(StreamConfig.describe(v))")
        }
        return value
    }

    func integer(_ key: String, atLeast minimum: Int) throws(StreamConfigError) -> Int? {
        guard let v = table[key] else { return nil }
        guard let i = v.int, i >= minimum else {
            throw error(key, "expected an integer >= \(minimum), got \(StreamConfig.describe(v))")
        }
        return i
    }
}
