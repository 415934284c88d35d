import PlatetopCore

/// Everything the dashboard shows, as one plain `Sendable` snapshot the pipeline publishes (at most ~15 Hz).
///
/// It has its own simple row types so the dashboard does not depend on tracker or pipeline types;
/// the app maps those into this snapshot. Every field has a neutral default, so
/// `DashboardState()` renders an empty dashboard.
public struct DashboardState: Sendable, Equatable {
    /// What the source is doing right now (shown at the right of the header).
    public enum Mode: Sendable, Equatable {
        case live
        case paused
        /// Reconnecting: `attempt` number, next try in `inSeconds`.
        case reconnecting(attempt: Int, inSeconds: Double)
        case ended
        case error(String)
    }

    /// The top line: where frames come from and what reads them.
    public struct Header: Sendable, Equatable {
        /// The source as shown; credentials must already be masked (`rtsp://***@cam/live`).
        public var source: String
        /// `"1920x1080"`, or empty when unknown.
        public var resolution: String
        /// `"h264"`, or empty when unknown.
        public var codec: String
        public var modelName: String
        /// Seconds since the session started.
        public var elapsedSeconds: Double
        public var mode: Mode

        public init(source: String = "", resolution: String = "", codec: String = "", modelName: String = "",
                    elapsedSeconds: Double = 0, mode: Mode = .live) {
            self.source = source; self.resolution = resolution; self.codec = codec
            self.modelName = modelName; self.elapsedSeconds = elapsedSeconds; self.mode = mode
        }
    }

    /// Throughput and timing counters.
    public struct Stats: Sendable, Equatable {
        public var decodeFPS: Double
        public var recognizeFPS: Double
        public var decodeMilliseconds: Double
        public var locateMilliseconds: Double
        public var recognizeMilliseconds: Double
        public var trackMilliseconds: Double
        public var queueDepth: Int
        public var droppedFrames: Int
        public var framesDecoded: Int
        public var framesRecognized: Int

        public init(decodeFPS: Double = 0, recognizeFPS: Double = 0, decodeMilliseconds: Double = 0,
                    locateMilliseconds: Double = 0, recognizeMilliseconds: Double = 0, trackMilliseconds: Double = 0,
                    queueDepth: Int = 0, droppedFrames: Int = 0, framesDecoded: Int = 0, framesRecognized: Int = 0) {
            self.decodeFPS = decodeFPS; self.recognizeFPS = recognizeFPS
            self.decodeMilliseconds = decodeMilliseconds; self.locateMilliseconds = locateMilliseconds
            self.recognizeMilliseconds = recognizeMilliseconds; self.trackMilliseconds = trackMilliseconds
            self.queueDepth = queueDepth; self.droppedFrames = droppedFrames
            self.framesDecoded = framesDecoded; self.framesRecognized = framesRecognized
        }
    }

    /// A voted alternative for the current plate.
    public struct Candidate: Sendable, Equatable {
        public var text: String
        public var votes: Int
        public init(text: String, votes: Int) { self.text = text; self.votes = votes }
    }

    /// The current read: text with one confidence per character (0...1).
    public struct LiveRead: Sendable, Equatable {
        public var text: String
        /// One value per `Character` of `text`; missing values count as 0 (low).
        public var characterConfidences: [Float]
        /// Plate confidence, 0...1.
        public var confidence: Float
        /// Best first.
        public var candidates: [Candidate]

        public init(text: String, characterConfidences: [Float], confidence: Float, candidates: [Candidate] = []) {
            self.text = text; self.characterConfidences = characterConfidences
            self.confidence = confidence; self.candidates = candidates
        }
    }

    /// One row of the detection history.
    public struct HistoryRow: Sendable, Equatable {
        /// Already formatted, e.g. `"12:03:44"`.
        public var time: String
        public var plate: String
        public var confidence: Float
        public var sightings: Int
        /// The watchlist entry's label when the plate is on the watchlist; such rows are highlighted.
        public var watchlistLabel: String?
        public var stream: String

        public init(time: String, plate: String, confidence: Float, sightings: Int = 1,
                    watchlistLabel: String? = nil, stream: String = "") {
            self.time = time; self.plate = plate; self.confidence = confidence
            self.sightings = sightings; self.watchlistLabel = watchlistLabel; self.stream = stream
        }
    }

    /// A box drawn over the preview, in frame pixel coordinates.
    public struct Overlay: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case roi, plate, watchlist }
        public var rect: PixelRect
        public var kind: Kind
        public init(rect: PixelRect, kind: Kind) { self.rect = rect; self.kind = kind }
    }

    /// A small downscaled frame with overlay boxes.
    public struct Preview: Sendable, Equatable {
        /// A small copy of the frame (e.g. 160x90); RGB shows in the colour cube, grey in the grey ramp.
        public var image: PixelImage
        /// Boxes in the coordinates of the full frame (`frameWidth` x `frameHeight`).
        public var overlays: [Overlay]
        public var frameWidth: Int
        public var frameHeight: Int

        public init(image: PixelImage, overlays: [Overlay] = [], frameWidth: Int, frameHeight: Int) {
            self.image = image; self.overlays = overlays; self.frameWidth = frameWidth; self.frameHeight = frameHeight
        }
    }

    /// Why the current frame gave no read (shown on the status line).
    public enum NoReadReason: Sendable, Equatable {
        case none
        case noPlateFound
        /// The read's confidence was below the threshold.
        case belowThreshold(Float)
        /// The read did not match the plate pattern; the associated text is the rejected read.
        case patternMismatch(String)
        case frameDropped
        /// No frame arrived for this many seconds.
        case sourceStalled(seconds: Double)
        case reconnecting
    }

    /// Stream tabs for multi-stream sessions.
    public struct Tabs: Sendable, Equatable {
        public var names: [String]
        public var selected: Int
        public init(names: [String] = [], selected: Int = 0) { self.names = names; self.selected = selected }
    }

    public var header: Header
    public var stats: Stats
    /// nil before the first read.
    public var liveRead: LiveRead?
    /// Newest first.
    public var history: [HistoryRow]
    public var preview: Preview?
    public var reason: NoReadReason
    /// Free text for the status line (warnings, last error); shown after the reason.
    public var message: String
    /// The current region of interest as text (`"0.3,0.6,0.4,0.2"`), empty when a detector is used.
    public var roi: String
    /// The confidence threshold, 0...1.
    public var threshold: Float
    public var tabs: Tabs

    public init(header: Header = Header(), stats: Stats = Stats(), liveRead: LiveRead? = nil,
                history: [HistoryRow] = [], preview: Preview? = nil, reason: NoReadReason = .none,
                message: String = "", roi: String = "", threshold: Float = 0.6, tabs: Tabs = Tabs()) {
        self.header = header; self.stats = stats; self.liveRead = liveRead; self.history = history
        self.preview = preview; self.reason = reason; self.message = message; self.roi = roi
        self.threshold = threshold; self.tabs = tabs
    }

    /// True when the header mode is `.paused`.
    public var isPaused: Bool { header.mode == .paused }
}
