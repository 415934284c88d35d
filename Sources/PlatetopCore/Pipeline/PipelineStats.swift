/// Why the last processed frame produced no read (shown on the dashboard's status line).
public enum NoReadReason: Sendable, Equatable {
    case none
    case noPlateFound
    case belowThreshold(Float)
    case patternMismatch(String)
    case frameDropped
    case sourceStalled(seconds: Double)
    case reconnecting

    public var message: String {
        switch self {
        case .none: return ""
        case .noPlateFound: return "no plate found"
        case .belowThreshold(let c): return "below threshold (confidence \(Int((c * 100).rounded()))%)"
        case .patternMismatch(let t): return "pattern mismatch: \(t)"
        case .frameDropped: return "frame dropped: queue full"
        case .sourceStalled(let s): return "source stalled for \(Int(s)) s"
        case .reconnecting: return "reconnecting"
        }
    }
}

/// The connection state of a source.
public enum SourceState: Sendable, Equatable {
    case connecting
    case live
    case paused
    case reconnecting(attempt: Int, delaySeconds: Double, reason: String)
    case ended
    case failed(String)
}

/// Counters and timings of one pipeline; a value snapshot.
public struct PipelineStats: Sendable, Equatable {
    public var framesDecoded = 0
    public var framesRecognized = 0
    /// Frames overwritten in the decode→recognize hand-off because recognition was busy.
    public var framesDropped = 0
    /// Frames decoded but not recognised because of the `max_fps` cap.
    public var framesSkipped = 0
    public var platesRead = 0
    public var reconnects = 0
    public var decodeFPS = 0.0
    public var recognizeFPS = 0.0
    public var decodeMilliseconds = 0.0
    public var locateMilliseconds = 0.0
    public var recognizeMilliseconds = 0.0
    public var trackMilliseconds = 0.0
    public var queueDepth = 0
    public var wallSeconds = 0.0
    public var lastPts = 0.0
    public var noReadReason: NoReadReason = .none

    public init() {}
}

/// An exponentially smoothed rate/duration meter.
public struct RateMeter: Sendable {
    private var lastTime: Double?
    private var smoothedInterval: Double?
    private let alpha: Double

    public init(alpha: Double = 0.1) { self.alpha = alpha }

    /// Records an event at `time` seconds (monotonic).
    public mutating func tick(at time: Double) {
        if let last = lastTime {
            let dt = max(time - last, 1e-6)
            smoothedInterval = smoothedInterval.map { $0 + alpha * (dt - $0) } ?? dt
        }
        lastTime = time
    }

    /// Events per second, or 0 before two events.
    public var rate: Double { smoothedInterval.map { 1 / $0 } ?? 0 }
}

/// Exponential smoothing of a duration in milliseconds.
public struct SmoothedValue: Sendable {
    public private(set) var value: Double = 0
    private var seeded = false
    private let alpha: Double
    public init(alpha: Double = 0.1) { self.alpha = alpha }
    public mutating func add(_ v: Double) {
        if seeded { value += alpha * (v - value) } else { value = v; seeded = true }
    }
}
