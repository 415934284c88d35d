import Foundation
import PlatetopCore
import PlatetopDashboard
import PlatetopTerminal
import PlatetopVideo
import Synchronization

/// Runs one or more streams (replay or watch): pipelines, trackers, the detection log, and either
/// the dashboard or headless JSON lines; prints the exit summary.
final class MonitorSession: @unchecked Sendable {
    struct Settings {
        var headless: Bool
        var pace: Pace
        var startSeconds: Double?
        var maxFrames: Int?
        var noDrop: Bool
        var logPathOverride: String?
        var noLog: Bool
        var dump: ExitSummary.DumpFormat?
        var dumpPath: String?
        var theme: String?
        var modelOptions: ModelOptions
        var reconnect: Bool
        var holdAtEnd: Bool
    }

    /// One stream's moving parts. `tracker` is confined to the stream's recognize queue while the
    /// pipeline runs, and to the main thread after it ended.
    final class StreamRunner: @unchecked Sendable {
        let spec: StreamSpec
        let pipeline: Pipeline
        let region: RegionBox
        var tracker: PlateTracker
        /// The tracker's open events were closed when the pipeline ended (main thread only).
        var closedAtEnd = false
        let log: DetectionLog?
        let modelName: String
        /// Latest values for the dashboard.
        let live = Mutex<LiveView>(LiveView())

        init(spec: StreamSpec, pipeline: Pipeline, region: RegionBox, tracker: PlateTracker, log: DetectionLog?, modelName: String) {
            self.spec = spec
            self.pipeline = pipeline
            self.region = region
            self.tracker = tracker
            self.log = log
            self.modelName = modelName
        }
    }

    struct LiveView: Sendable {
        var liveRead: DashboardState.LiveRead?
        var preview: DashboardState.Preview?
        var reason: DashboardState.NoReadReason = .none
        var lastReadPts = -Double.infinity
        /// Dropped-frame count at the previous snapshot (a rise shows "frame dropped").
        var droppedAtLastSnapshot = 0
    }

    let settings: Settings
    private(set) var runners: [StreamRunner] = []
    let logQueue = DispatchQueue(label: "platetop.log")
    let events = Mutex<[PlateEvent]>([])
    let threshold: Mutex<Float>
    let startTime = Date()
    let signals = TerminalGuard()

    init(specs: [StreamSpec], settings: Settings) throws {
        self.settings = settings
        threshold = Mutex(specs.first?.minConfidence ?? 0.5)
        // Signals first, so a SIGTERM during model loading still ends cleanly.
        signals.install()
        var logs: [String: DetectionLog] = [:]
        for spec in specs {
            // Without a fixed region the full-frame detector locates plates (loaded here once to validate it).
            var detector: (path: String, options: PlateDetector.Options)?
            if spec.roi == nil {
                guard let path = try settings.modelOptions.detectorFlags.modelPath() else {
                    throw RuntimeFailure("stream '\(spec.name)': no --roi given and no plate detector is available; pass --roi x,y,w,h")
                }
                let options = settings.modelOptions.detectorFlags.options(fileMinScore: spec.detectorMinScore, fileWidth: spec.detectorWidth)
                _ = try DetectorFlags.load(path: path, options: options)
                detector = (path, options)
            }
            // The model is loaded once here to validate it and read its name; each pipeline loads its own copy.
            let modelPath = try ModelPaths.recognizer(explicit: spec.modelPath ?? settings.modelOptions.model)
            let probe: LPRNetRecognizer
            do {
                probe = try LPRNetRecognizer(modelPath: modelPath, maxBatch: 1, threads: 1)
            } catch {
                throw RuntimeFailure("cannot load model '\(modelPath)': \(error)")
            }
            var rules = FormatRules.none
            let patterns = spec.patterns.isEmpty ? probe.info.patterns : spec.patterns
            do {
                rules = try FormatRules(patternStrings: patterns)
            } catch {
                throw RuntimeFailure("stream '\(spec.name)': \(error)")
            }
            var watchlist = Watchlist.empty
            if let w = spec.watchlistPath {
                do { watchlist = try Watchlist.load(path: w) } catch { throw RuntimeFailure(String(describing: error)) }
            }
            let tracker = PlateTracker(configuration: .init(
                eventWindowSeconds: spec.eventWindow, repeatMemorySeconds: spec.repeatMemory,
                minConfidence: spec.minConfidence, formatRules: rules, watchlist: watchlist))
            var log: DetectionLog?
            if !settings.noLog {
                let path = settings.logPathOverride ?? spec.logPath
                    ?? DetectionLog.defaultPath(stream: Self.fileSafe(spec.name), date: startTime)
                if let existing = logs[path] {
                    log = existing
                } else {
                    do {
                        let l = try DetectionLog(path: path, saveCrop: { image, cropPath in try PNGWriter.write(image, to: cropPath) })
                        logs[path] = l
                        log = l
                    } catch {
                        throw RuntimeFailure(String(describing: error))
                    }
                }
            }
            var trackerWithSequence = tracker
            if let path = log.map({ _ in settings.logPathOverride ?? spec.logPath ?? DetectionLog.defaultPath(stream: Self.fileSafe(spec.name), date: startTime) }) {
                trackerWithSequence.setNextSequence(DetectionLog.lastSequence(path: path, stream: spec.name) + 1, for: spec.name)
            }
            let runner = makeRunner(spec: spec, modelPath: modelPath, detector: detector, tracker: trackerWithSequence, log: log,
                                    modelName: probe.info.name)
            runners.append(runner)
        }
    }

    static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
    }

    private func makeRunner(spec: StreamSpec, modelPath: String, detector: (path: String, options: PlateDetector.Options)?,
                            tracker: PlateTracker, log: DetectionLog?, modelName: String) -> StreamRunner {
        var config = PipelineConfig()
        config.pace = spec.isLive ? .fast : settings.pace
        config.maxRecognitionFPS = spec.maxFPS
        config.handOffPolicy = settings.noDrop && !spec.isLive ? .block : .dropOldest
        config.keepFrames = !settings.headless
        if spec.isLive && settings.reconnect {
            config.reconnect = ReconnectPolicy(maxAttempts: spec.exitOnFailure ? 0 : nil)
        }
        let url = spec.url
        let start = settings.startSeconds, maxFrames = settings.maxFrames
        let transport = spec.transport, openTimeout = spec.openTimeout, readTimeout = spec.readTimeout
        let display = spec.displayURL
        let secrets = spec.secrets
        let region = RegionBox(spec.roi)
        let pipeline = Pipeline(config: config, openSource: { stop in
            var options = FrameReader.Options(pixelFormat: .rgb24, startSeconds: start, maxFrames: maxFrames, pace: .fast,
                                              rtspTransport: transport, openTimeoutSeconds: openTimeout,
                                              readTimeoutSeconds: readTimeout)
            options.stopSignal = stop
            let reader: FrameReader
            do {
                reader = try FrameReader(source: url, options: options)
            } catch {
                throw RuntimeFailure(Self.mask(String(describing: error), url: url, display: display, secrets: secrets))
            }
            let info = SourceInfo(source: display, width: reader.width, height: reader.height, codec: reader.codecName,
                                  frameRate: reader.frameRate, isLive: StreamSpec.isLive(url))
            return (ReaderSource(reader, url: url, display: display, secrets: secrets), info)
        }, makeStage: { [threads = settings.modelOptions.threads, decoder = settings.modelOptions.ctcDecoder, keep = !settings.headless,
                         formats = tracker.configuration.formatRules] in
            let recognizer = try LPRNetRecognizer(modelPath: modelPath, maxBatch: 4, threads: threads, decoder: decoder)
            recognizer.formats = formats
            let plateDetector = try detector.map { try DetectorFlags.load(path: $0.path, options: $0.options) }
            return PlateStage(recognizer: recognizer, region: region, detector: plateDetector, keepFrames: keep)
        })
        let runner = StreamRunner(spec: spec, pipeline: pipeline, region: region, tracker: tracker, log: log, modelName: modelName)
        pipeline.onResult = { [unowned self, unowned runner] result in self.handle(result, runner: runner) }
        pipeline.onState = { [unowned self, unowned runner] state in self.report(state, runner: runner) }
        return runner
    }

    /// Replaces the credentials of `url` in `text` with the masked form.
    static func mask(_ text: String, url: String, display: String, secrets: [String] = []) -> String {
        Credentials.maskAll(in: text.replacingOccurrences(of: url, with: display), secrets: secrets)
    }
}

/// Adapts a `FrameReader` to the pipeline's `FrameSource`, masking credentials in its errors.
final class ReaderSource: FrameSource {
    let reader: FrameReader
    let url: String
    let display: String
    let secrets: [String]
    init(_ reader: FrameReader, url: String, display: String, secrets: [String]) {
        self.reader = reader
        self.url = url
        self.display = display
        self.secrets = secrets
    }

    func next() throws -> DecodedFrame? {
        do {
            return try reader.next()
        } catch {
            throw RuntimeFailure(MonitorSession.mask(String(describing: error), url: url, display: display, secrets: secrets))
        }
    }
}
