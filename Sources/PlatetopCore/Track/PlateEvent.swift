import Foundation

/// One vehicle's plate, seen over consecutive frames of one stream and voted into a single reading.
///
/// Produced by `PlateTracker` when the event closes; written by `DetectionLog` as one JSON line
/// (see `PlateEvent+JSON.swift` for the field names). `bestCrop` is never encoded.
public struct PlateEvent: Sendable, Equatable {
    /// Stream-scoped sequence, `"<stream>-000001"`, `"<stream>-000002"`, … in closing order.
    public var id: String
    public var stream: String
    /// The voted text after the format rules' letter/digit repair.
    public var text: String
    /// The voted text before repair.
    public var rawText: String
    /// Mean of `characterConfidences`, 0...1.
    public var confidence: Float
    /// One confidence per `Character` of `text` (see `PlateVote`).
    public var characterConfidences: [Float]
    /// Distinct full readings of this event, most votes first.
    public var candidates: [VoteCandidate]
    /// Number of reads (frames) that made up the event, low-confidence ones included.
    public var sightings: Int
    public var firstPts: Double
    public var lastPts: Double
    public var firstFrame: Int
    public var lastFrame: Int
    public var firstSeen: Date
    public var lastSeen: Date
    /// Box of the best read.
    public var box: PixelRect
    /// Label of the watchlist entry the plate matched, if any.
    public var watchlistLabel: String?
    /// Where `DetectionLog` saved `bestCrop`, if it did.
    public var cropPath: String?
    /// The most confident read whose text equals `rawText` (else the most confident read).
    public var bestRead: PlateRead
    /// The crop of `bestRead`, when the observations carried crops. Not encoded.
    public var bestCrop: PixelImage?

    public init(id: String, stream: String, text: String, rawText: String, confidence: Float,
                characterConfidences: [Float], candidates: [VoteCandidate], sightings: Int,
                firstPts: Double, lastPts: Double, firstFrame: Int, lastFrame: Int,
                firstSeen: Date, lastSeen: Date, box: PixelRect, watchlistLabel: String? = nil,
                cropPath: String? = nil, bestRead: PlateRead, bestCrop: PixelImage? = nil) {
        self.id = id; self.stream = stream; self.text = text; self.rawText = rawText
        self.confidence = confidence; self.characterConfidences = characterConfidences
        self.candidates = candidates; self.sightings = sightings
        self.firstPts = firstPts; self.lastPts = lastPts; self.firstFrame = firstFrame; self.lastFrame = lastFrame
        self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.box = box
        self.watchlistLabel = watchlistLabel; self.cropPath = cropPath
        self.bestRead = bestRead; self.bestCrop = bestCrop
    }
}

/// An event still collecting reads, as the dashboard shows it.
public struct OpenEventSnapshot: Sendable, Equatable {
    /// Tracker-local serial number, stable while the event is open (not the final event id).
    public let key: Int
    public let stream: String
    /// Current vote after format repair.
    public let text: String
    /// Current vote before repair.
    public let rawText: String
    public let confidence: Float
    public let characterConfidences: [Float]
    /// Distinct readings so far, most votes first.
    public let candidates: [VoteCandidate]
    public let sightings: Int
    public let firstPts: Double
    public let lastPts: Double
    public let firstSeen: Date
    public let lastSeen: Date
    /// Box of the latest read.
    public let box: PixelRect
    /// Whether a read at or above `minConfidence` has joined; an unconfirmed event is dropped at close.
    public let confirmed: Bool
    public let watchlistLabel: String?

    public init(key: Int, stream: String, text: String, rawText: String, confidence: Float,
                characterConfidences: [Float], candidates: [VoteCandidate], sightings: Int,
                firstPts: Double, lastPts: Double, firstSeen: Date, lastSeen: Date, box: PixelRect,
                confirmed: Bool, watchlistLabel: String?) {
        self.key = key; self.stream = stream; self.text = text; self.rawText = rawText
        self.confidence = confidence; self.characterConfidences = characterConfidences
        self.candidates = candidates; self.sightings = sightings
        self.firstPts = firstPts; self.lastPts = lastPts; self.firstSeen = firstSeen; self.lastSeen = lastSeen
        self.box = box; self.confirmed = confirmed; self.watchlistLabel = watchlistLabel
    }
}
