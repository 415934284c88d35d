import Foundation

/// One video stream to watch: where it comes from and how its plates are read, tracked and logged.
///
/// Loaded from a `streams/*.toml` file with `load(path:environment:)` (keys documented in
/// `streams/README.md`), or made from a bare URL or file on the command line with `fromURL(_:name:environment:)`.
/// Command-line flags are merged with `applying(_:)`; flags win.
///
/// Optional settings are nil when the file leaves them out, meaning "use platetop's default".
/// `url` holds the expanded URL, credentials included: show `displayURL` instead. `description`
/// (from `CustomStringConvertible`) masks it too, so printing a config never leaks a password.
public struct StreamConfig: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// RTSP lower transport.
    public enum Transport: String, Sendable, Equatable, CaseIterable {
        case tcp, udp
    }

    /// Settings for the full-frame plate detector; nil fields mean the detector's defaults.
    public struct DetectorOptions: Sendable, Equatable {
        /// Lowest detector score (0...1) for a box to be read.
        public var minScore: Double?
        /// Width (pixels, ≥ 64) the frame is resized to before detection.
        public var width: Int?

        public init(minScore: Double? = nil, width: Int? = nil) {
            self.minScore = minScore
            self.width = width
        }
    }

    /// Stream name shown in the dashboard and written to the log (default: the file stem, or the host).
    public var name: String
    /// The source as FFmpeg opens it: `rtsp://`, `rtsps://`, `http(s)://`, a file path or `/dev/videoN`.
    /// Placeholders are expanded and relative file paths resolved; may hold a password.
    public var url: String
    /// RTSP transport (default tcp).
    public var transport: Transport
    /// Fixed region where plates appear; nil means the full-frame detector.
    public var roi: RegionOfInterest?
    /// Detector settings when the file asks for the detector (`detector = true`, a `[detector]` table,
    /// or `detector_*` keys); nil otherwise. Without `roi` the detector is used with its defaults anyway.
    public var detector: DetectorOptions?
    /// Recognition model path (absolute or as given on the command line); nil for the default model.
    public var model: String?
    /// Highest rate (frames per second) at which frames are recognised; nil for no limit.
    public var maxFPS: Double?
    /// Lowest read confidence (0...1) the tracker accepts; nil for the tracker's default.
    public var minConfidence: Double?
    /// Accepted plate formats; empty means any text is accepted.
    public var patterns: [PlatePattern]
    /// Watchlist file path; nil for none.
    public var watchlist: String?
    /// Detection log path; nil for the default.
    public var log: String?
    /// Plates the stream is known to show (normalised with `PlateText.normalized`), for the demo and tests.
    public var expectedPlates: [String]
    /// Free text about the stream (the `description` key).
    public var summary: String?
    /// Seconds a plate event stays open collecting reads; nil for the tracker's default.
    public var eventWindow: Double?
    /// Seconds a closed plate is remembered to suppress repeats; nil for the tracker's default.
    public var repeatMemory: Double?
    /// Seconds allowed to open the stream; nil for the reader's default.
    public var openTimeout: Double?
    /// Seconds allowed between packets; nil for the reader's default.
    public var readTimeout: Double?
    /// Whether platetop exits when the stream fails instead of reconnecting (default false).
    public var exitOnFailure: Bool
    /// Values expanded from the environment into `url`; never show them (see `Credentials.maskAll`).
    public var secrets: [String]
    /// The stream file this came from, as given to `load`; nil for `fromURL`.
    public var sourceFile: String?

    /// Makes a configuration; every setting but the URL has its default.
    public init(name: String, url: String, transport: Transport = .tcp, roi: RegionOfInterest? = nil,
                detector: DetectorOptions? = nil, model: String? = nil, maxFPS: Double? = nil,
                minConfidence: Double? = nil, patterns: [PlatePattern] = [], watchlist: String? = nil,
                log: String? = nil, expectedPlates: [String] = [], summary: String? = nil,
                eventWindow: Double? = nil, repeatMemory: Double? = nil, openTimeout: Double? = nil,
                readTimeout: Double? = nil, exitOnFailure: Bool = false, secrets: [String] = [],
                sourceFile: String? = nil) {
        self.name = name
        self.url = url
        self.transport = transport
        self.roi = roi
        self.detector = detector
        self.model = model
        self.maxFPS = maxFPS
        self.minConfidence = minConfidence
        self.patterns = patterns
        self.watchlist = watchlist
        self.log = log
        self.expectedPlates = expectedPlates
        self.summary = summary
        self.eventWindow = eventWindow
        self.repeatMemory = repeatMemory
        self.openTimeout = openTimeout
        self.readTimeout = readTimeout
        self.exitOnFailure = exitOnFailure
        self.secrets = secrets
        self.sourceFile = sourceFile
    }

    /// `url` with credentials and expanded secrets masked, for the dashboard, the log and messages.
    public var displayURL: String { Credentials.maskAll(in: url, secrets: secrets) }

    /// Masks this stream's credentials and secrets in any text (e.g. an FFmpeg error message).
    public func masked(_ text: String) -> String { Credentials.maskAll(in: text, secrets: secrets) }

    /// Whether plates are found by the detector: no `roi`, or the detector asked for explicitly
    /// (with an `roi`, the detector is meant to search inside it).
    public var usesDetector: Bool { roi == nil || detector != nil }

    /// The patterns as format rules for the tracker.
    public var formatRules: FormatRules { FormatRules(patterns: patterns) }

    /// Whether `url` names a network stream (has a `scheme://`) rather than a file or device.
    public var isNetworkStream: Bool { StreamConfig.scheme(of: url) != nil && StreamConfig.scheme(of: url) != "file" }

    /// Loads the watchlist named by `watchlist`.
    /// - Returns: The watchlist, or `Watchlist.empty` when none is set.
    /// - Throws: `StreamConfigError` naming the stream file, the key and the watchlist's own message.
    public func loadWatchlist() throws(StreamConfigError) -> Watchlist {
        guard let watchlist else { return .empty }
        do {
            return try Watchlist.load(path: watchlist)
        } catch {
            throw StreamConfigError(source: sourceFile ?? "command line", key: "watchlist", error.message)
        }
    }

    public var description: String {
        var parts = ["\(name): \(displayURL)"]
        if let roi { parts.append("roi \(roi)") }
        if usesDetector { parts.append("detector") }
        if let sourceFile { parts.append("from \(sourceFile)") }
        return parts.joined(separator: ", ")
    }

    public var debugDescription: String { "StreamConfig(\(description))" }
}

/// Why a stream definition is invalid; `description` is one line naming the file (and line or key)
/// and what is wrong, e.g. `streams/cam.toml: key 'max_fps': expected a number > 0, got "fast"`.
/// Never contains a credential.
public struct StreamConfigError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    /// A message used as it is (newlines are replaced by spaces).
    public init(_ message: String) {
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// `"<source>: key '<key>': <problem>"`.
    public init(source: String, key: String, _ problem: String) {
        self.init("\(source): key '\(key)': \(problem)")
    }
}

/// Command-line settings that replace a stream's; nil leaves the stream's value.
public struct StreamOverrides: Sendable, Equatable {
    public var name: String?
    public var roi: RegionOfInterest?
    public var transport: StreamConfig.Transport?
    public var model: String?
    public var maxFPS: Double?
    public var minConfidence: Double?
    public var patterns: [PlatePattern]?
    public var watchlist: String?
    public var log: String?
    public var eventWindow: Double?
    public var repeatMemory: Double?
    public var openTimeout: Double?
    public var readTimeout: Double?
    public var exitOnFailure: Bool?
    public var detectorMinScore: Double?
    public var detectorWidth: Int?

    public init(name: String? = nil, roi: RegionOfInterest? = nil, transport: StreamConfig.Transport? = nil,
                model: String? = nil, maxFPS: Double? = nil, minConfidence: Double? = nil,
                patterns: [PlatePattern]? = nil, watchlist: String? = nil, log: String? = nil,
                eventWindow: Double? = nil, repeatMemory: Double? = nil, openTimeout: Double? = nil,
                readTimeout: Double? = nil, exitOnFailure: Bool? = nil, detectorMinScore: Double? = nil,
                detectorWidth: Int? = nil) {
        self.name = name
        self.roi = roi
        self.transport = transport
        self.model = model
        self.maxFPS = maxFPS
        self.minConfidence = minConfidence
        self.patterns = patterns
        self.watchlist = watchlist
        self.log = log
        self.eventWindow = eventWindow
        self.repeatMemory = repeatMemory
        self.openTimeout = openTimeout
        self.readTimeout = readTimeout
        self.exitOnFailure = exitOnFailure
        self.detectorMinScore = detectorMinScore
        self.detectorWidth = detectorWidth
    }

    /// Whether no setting is overridden.
    public var isEmpty: Bool { self == StreamOverrides() }
}

extension StreamConfig {
    /// This configuration with every non-nil override replacing the stream's setting (flags win).
    ///
    /// Override paths are used as given (relative to the working directory). A detector override
    /// turns the detector on.
    /// - Parameter overrides: Settings from the command line.
    /// - Returns: The merged configuration.
    public func applying(_ overrides: StreamOverrides) -> StreamConfig {
        var c = self
        if let v = overrides.name { c.name = v }
        if let v = overrides.roi { c.roi = v }
        if let v = overrides.transport { c.transport = v }
        if let v = overrides.model { c.model = v }
        if let v = overrides.maxFPS { c.maxFPS = v }
        if let v = overrides.minConfidence { c.minConfidence = v }
        if let v = overrides.patterns { c.patterns = v }
        if let v = overrides.watchlist { c.watchlist = v }
        if let v = overrides.log { c.log = v }
        if let v = overrides.eventWindow { c.eventWindow = v }
        if let v = overrides.repeatMemory { c.repeatMemory = v }
        if let v = overrides.openTimeout { c.openTimeout = v }
        if let v = overrides.readTimeout { c.readTimeout = v }
        if let v = overrides.exitOnFailure { c.exitOnFailure = v }
        if overrides.detectorMinScore != nil || overrides.detectorWidth != nil {
            var d = c.detector ?? DetectorOptions()
            if let v = overrides.detectorMinScore { d.minScore = v }
            if let v = overrides.detectorWidth { d.width = v }
            c.detector = d
        }
        return c
    }

    /// A stream for a URL or file given on the command line, with every other setting at its default.
    ///
    /// `${NAME}` placeholders are expanded as in a stream file. File paths are kept as given.
    /// - Parameters:
    ///   - url: `rtsp://…`, `rtsps://…`, `http(s)://…`, `file:…`, a file path or `/dev/videoN`.
    ///   - name: The stream name; default: the file stem (`demo` for `clips/demo.mp4`, `video0` for
    ///     `/dev/video0`) or the URL's host (`camera.local`).
    ///   - environment: Variables for placeholders (default: this process's environment).
    /// - Throws: `StreamConfigError` ("command line: key 'url': …") for an empty URL, an unsupported
    ///   scheme, or a missing variable.
    public static func fromURL(_ url: String, name: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(StreamConfigError) -> StreamConfig
    {
        let source = "command line"
        let expansion = try expandURL(url, source: source, environment: environment)
        let derived = name ?? derivedName(for: expansion.text)
        guard !derived.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StreamConfigError(source: source, key: "name", "cannot derive a stream name from the URL; give one")
        }
        return StreamConfig(name: derived, url: expansion.text, secrets: expansion.secrets)
    }

    /// The name `fromURL` gives a source: the host of a URL, otherwise the file stem.
    public static func derivedName(for url: String) -> String {
        if let scheme = scheme(of: url), scheme != "file" {
            let afterScheme = url[url.index(url.startIndex, offsetBy: scheme.count + 3)...]
            var authority = afterScheme.prefix { !"/?#".contains($0) }
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            var host = authority
            if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
                host = host[host.index(after: host.startIndex)..<close]      // [IPv6]
            } else if let colon = host.lastIndex(of: ":") {
                host = host[..<colon]                                           // drop the port
            }
            return String(host)
        }
        var path = url
        if path.hasPrefix("file://") { path.removeFirst(7) } else if path.hasPrefix("file:") { path.removeFirst(5) }
        return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    // MARK: - Shared with the TOML loader

    static let allowedSchemes = ["rtsp", "rtsps", "http", "https", "file"]

    /// The lower-cased scheme of `text` when it starts with `scheme://` (or `file:`), else nil.
    static func scheme(of text: String) -> String? {
        if text.lowercased().hasPrefix("file:") { return "file" }
        guard let r = text.range(of: "://") else { return nil }
        let scheme = text[..<r.lowerBound]
        guard let first = scheme.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
              scheme.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) })
        else { return nil }
        return scheme.lowercased()
    }

    /// Expands placeholders in a URL and checks its scheme.
    static func expandURL(_ raw: String, source: String, environment: [String: String])
        throws(StreamConfigError) -> Credentials.Expansion
    {
        guard !raw.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StreamConfigError(source: source, key: "url", "must not be empty")
        }
        let expansion: Credentials.Expansion
        do {
            expansion = try Credentials.expand(raw, environment: environment)
        } catch {
            throw StreamConfigError(source: source, key: "url", error.description)
        }
        if let scheme = scheme(of: expansion.text), !allowedSchemes.contains(scheme) {
            throw StreamConfigError(source: source, key: "url",
                                    "unsupported scheme '\(scheme)' (expected rtsp, rtsps, http, https, a file path or /dev/videoN)")
        }
        return expansion
    }
}
