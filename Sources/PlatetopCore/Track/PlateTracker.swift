import Foundation

/// Groups plate reads into events per stream, votes each event's text, and suppresses repeats.
///
/// A value type driven from one queue; it never reads a clock. Time is each stream's presentation time
/// (`ptsSeconds`), which only `ingest` and `advance` move forward.
///
/// Rules, per stream:
/// - **Joining.** A read joins the open event whose box overlaps its box with IoU ≥ `minIoU` — or, for
///   a plate that moves fast across the frame (a detector's box on an approaching car), whose last box
///   is at most `motionSeconds` old, of a similar size (widths within a factor 2) and whose centre is
///   within `motionReach` of that box's larger side — and whose current vote is within
///   `maxEditDistance` edits of the read (fewest edits first, then larger IoU, then nearer centre,
///   then the older event). Otherwise it opens a new event. Reads with empty text only move time.
/// - **Closing.** An event closes once stream time passes `lastPts + eventWindowSeconds` (a read exactly
///   `eventWindowSeconds` after the last one still joins), or at `finish()`.
/// - **Confidence floor.** Reads below `minConfidence` vote like any other, and may open a tentative
///   event, but an event closes into a `PlateEvent` only if at least one read reached `minConfidence`
///   and it has `minSightings` reads; otherwise it is dropped and counted in `discardedEvents`.
/// - **Fragments.** An event of at most `fragmentMaxSightings` reads is dropped at close (counted in
///   `discardedEvents`) when, at most `motionSeconds` after its last read, an event opened in the same
///   place (its first box overlaps the fragment's last box with IoU ≥ `minIoU`) that has more reads than
///   `fragmentMaxSightings` and passes the confidence floor itself: the partial reads of a plate sliding
///   into a fixed ROI, or into a detector's box, before the whole plate reads, whose text is too far
///   from the plate's to join it. The rule is symmetric: such an event is also dropped when it opened
///   at most `motionSeconds` after the last read of such a longer event, in the same place (its first
///   box overlaps that event's last box): the plate sliding out.
/// - **Repeats.** At close, the event's final text is compared with the events this stream emitted
///   earlier. If one of them is within `repeatMaxEditDistance` edits and the new event's first read came
///   less than `repeatMemorySeconds` after that event's *last* sighting, the new event is a re-sighting:
///   nothing is emitted, `suppressedSightings` (and `resightings[earlier.id]`) goes up by one, and
///   the earlier event's last sighting moves to the re-sighting's last read, so a plate that keeps
///   reappearing stays one event until it has been gone for `repeatMemorySeconds`.
///   The earlier event already emitted is not re-emitted or changed. An event that overlaps the earlier one
///   in time (the same text in another box, e.g. a double detection) is suppressed the same way.
/// - **Time jumps.** A read more than `eventWindowSeconds` *before* the stream's clock (a restarted
///   stream) closes the stream's open events and rebases repeat memory to the new timeline.
public struct PlateTracker: Sendable {
    /// Tracker settings.
    public struct Configuration: Sendable, Equatable {
        /// Stream seconds without a matching read after which an event closes.
        public var eventWindowSeconds: Double = 2
        /// How long after an event's last sighting a same-text event counts as a repeat.
        public var repeatMemorySeconds: Double = 60
        /// Edits within which a new event's text counts as the same plate for repeat suppression
        /// (negative: never suppress).
        public var repeatMaxEditDistance: Int = 1
        /// Reads below this plate confidence can never make an event on their own.
        public var minConfidence: Float = 0.5
        /// Fewest reads an event needs to be emitted.
        public var minSightings: Int = 1
        /// Events with at most this many reads are dropped when a longer event replaces them in the same
        /// place within `motionSeconds` (see the type's rules); 0 turns this off.
        public var fragmentMaxSightings: Int = 2
        /// Most edits between a read and an open event's vote for the read to join it.
        public var maxEditDistance: Int = 2
        /// Least box IoU for a read to join an open event.
        public var minIoU: Double = 0.3
        /// A read whose box overlaps less may still join an event whose last read is at most this many
        /// stream seconds old when its centre is near (see `motionReach`); 0 turns this off.
        public var motionSeconds: Double = 0.5
        /// How far, in multiples of the event's last box's larger side, the read's box centre may be
        /// from that box's centre to join by motion.
        public var motionReach: Double = 1.0
        /// Reads kept per event for voting; beyond this the least confident is replaced
        /// (candidate counts stay exact).
        public var maxReadsPerEvent: Int = 256
        /// Formats and letter/digit repair applied to the voted text.
        public var formatRules: FormatRules = .none
        /// Plates to label.
        public var watchlist: Watchlist = .empty

        public init(eventWindowSeconds: Double = 2, repeatMemorySeconds: Double = 60, repeatMaxEditDistance: Int = 1,
                    minConfidence: Float = 0.5, minSightings: Int = 1, maxEditDistance: Int = 2, minIoU: Double = 0.3,
                    motionSeconds: Double = 0.5, motionReach: Double = 1.0, fragmentMaxSightings: Int = 2,
                    maxReadsPerEvent: Int = 256, formatRules: FormatRules = .none, watchlist: Watchlist = .empty) {
            self.eventWindowSeconds = eventWindowSeconds
            self.repeatMemorySeconds = repeatMemorySeconds
            self.repeatMaxEditDistance = repeatMaxEditDistance
            self.minConfidence = minConfidence
            self.minSightings = minSightings
            self.maxEditDistance = maxEditDistance
            self.minIoU = minIoU
            self.motionSeconds = motionSeconds
            self.motionReach = motionReach
            self.fragmentMaxSightings = max(0, fragmentMaxSightings)
            self.maxReadsPerEvent = max(1, maxReadsPerEvent)
            self.formatRules = formatRules
            self.watchlist = watchlist
        }
    }

    /// Re-sightings of one emitted event that were suppressed as repeats.
    public struct Resightings: Sendable, Equatable {
        /// How many would-be events were folded into the earlier one.
        public var count: Int
        /// Wall time of the latest suppressed read.
        public var lastSeen: Date
        /// Stream time of the latest suppressed read.
        public var lastPts: Double
        public init(count: Int, lastSeen: Date, lastPts: Double) {
            self.count = count; self.lastSeen = lastSeen; self.lastPts = lastPts
        }
    }

    /// The rules; may be changed between calls (e.g. the dashboard's `+`/`-` threshold), and apply
    /// from the next read on.
    public var configuration: Configuration
    /// Re-sightings folded into an earlier event instead of being emitted (see the type's rules).
    public private(set) var suppressedSightings = 0
    /// Suppressed re-sightings per earlier event id.
    public private(set) var resightings: [String: Resightings] = [:]
    /// Events dropped at close for lacking a confident read or enough reads.
    public private(set) var discardedEvents = 0
    /// Events emitted so far.
    public private(set) var emittedEvents = 0

    private var streams: [String: StreamState] = [:]
    private var nextKey = 1

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Adds one read; first closes events of the read's stream that its time has passed.
    /// - Parameter obs: The observation.
    /// - Returns: Events that closed, oldest last sighting first.
    public mutating func ingest(_ obs: PlateObservation) -> [PlateEvent] {
        let closed = advance(stream: obs.stream, toPts: obs.ptsSeconds)
        guard !obs.read.text.isEmpty else { return closed }
        var state = streams[obs.stream]!
        var bestIndex: Int?
        // (edits, -IoU, centre distance): smallest wins; ties keep the older event.
        var bestScore = (Int.max, 1.0, Double.infinity)
        for (i, event) in state.open.enumerated() {
            let iou = obs.box.iou(event.lastBox)
            let reach = Self.centreDistance(obs.box, event.lastBox)
            guard iou >= configuration.minIoU
                || (obs.ptsSeconds - event.lastPts <= configuration.motionSeconds
                    && Self.similarSize(obs.box, event.lastBox)
                    && reach <= configuration.motionReach * Double(max(event.lastBox.width, event.lastBox.height)))
            else { continue }
            let d = PlateText.editDistance(obs.read.text, event.vote.text, limit: configuration.maxEditDistance)
            guard d <= configuration.maxEditDistance else { continue }
            let score = (d, -iou, reach)
            if score < bestScore { bestIndex = i; bestScore = score }
        }
        if let i = bestIndex {
            state.open[i].add(obs, configuration: configuration)
        } else {
            state.open.append(OpenEvent(key: nextKey, obs: obs, configuration: configuration))
            nextKey += 1
        }
        streams[obs.stream] = state
        return closed
    }

    /// Distance between the centres of two boxes, in pixels.
    static func centreDistance(_ a: PixelRect, _ b: PixelRect) -> Double {
        let dx = Double(a.x * 2 + a.width - b.x * 2 - b.width) / 2
        let dy = Double(a.y * 2 + a.height - b.y * 2 - b.height) / 2
        return (dx * dx + dy * dy).squareRoot()
    }

    /// Widths within a factor of 2 of each other.
    static func similarSize(_ a: PixelRect, _ b: PixelRect) -> Bool {
        let wa = max(1, a.width), wb = max(1, b.width)
        return wa <= 2 * wb && wb <= 2 * wa
    }

    /// Moves every stream's clock to `pts` (for single-stream use) and closes what that expires.
    /// - Returns: Events that closed, oldest last sighting first.
    public mutating func advance(toPts pts: Double) -> [PlateEvent] {
        var closed: [PlateEvent] = []
        for stream in streams.keys.sorted() { closed += advance(stream: stream, toPts: pts) }
        return closed
    }

    /// Moves `stream`'s clock to `pts` and closes the events that expires.
    /// - Returns: Events that closed, oldest last sighting first.
    public mutating func advance(stream: String, toPts pts: Double) -> [PlateEvent] {
        var state = streams[stream] ?? StreamState()
        var closing: [OpenEvent] = []
        if let clock = state.clock, pts < clock - configuration.eventWindowSeconds {
            closing = state.open
            state.open = []
            let closed = close(closing, in: &state, stream: stream)
            state.tails = []
            let shift = pts - clock
            for i in state.recent.indices { state.recent[i].lastPts += shift }
            state.clock = pts
            streams[stream] = state
            return closed
        }
        state.clock = max(state.clock ?? pts, pts)
        let now = state.clock!
        closing = state.open.filter { now - $0.lastPts > configuration.eventWindowSeconds }
        state.open.removeAll { now - $0.lastPts > configuration.eventWindowSeconds }
        let closed = close(closing, in: &state, stream: stream)
        state.recent.removeAll { now - $0.lastPts >= configuration.repeatMemorySeconds }
        // A fragment opens within motionSeconds of the tail and closes eventWindowSeconds after its last read.
        let tailReach = configuration.motionSeconds
            + Double(configuration.fragmentMaxSightings + 1) * configuration.eventWindowSeconds
        state.tails.removeAll { now - $0.lastPts > tailReach }
        streams[stream] = state
        return closed
    }

    /// Closes every open event of every stream (end of input).
    /// - Returns: The events, per stream in name order, oldest last sighting first.
    public mutating func finish() -> [PlateEvent] {
        var closed: [PlateEvent] = []
        for stream in streams.keys.sorted() {
            var state = streams[stream]!
            let closing = state.open
            state.open = []
            closed += close(closing, in: &state, stream: stream)
            streams[stream] = state
        }
        return closed
    }

    /// Open events, by stream name then first sighting, with their current votes.
    public var openEvents: [OpenEventSnapshot] {
        streams.keys.sorted().flatMap { stream in
            streams[stream]!.open.sorted { ($0.firstPts, $0.key) < ($1.firstPts, $1.key) }.map { event in
                let vote = event.currentVote
                let fixed = configuration.formatRules.apply(to: vote.text)
                return OpenEventSnapshot(
                    key: event.key, stream: stream, text: fixed.text, rawText: vote.text,
                    confidence: vote.confidence, characterConfidences: vote.characterConfidences,
                    candidates: event.candidates, sightings: event.sightings,
                    firstPts: event.firstPts, lastPts: event.lastPts, firstSeen: event.firstSeen, lastSeen: event.lastSeen,
                    box: event.lastBox, confirmed: event.confirmed,
                    watchlistLabel: configuration.watchlist.match(fixed.text) ?? configuration.watchlist.match(vote.text))
            }
        }
    }

    /// Sets the number the next event id of `stream` will carry (to continue an existing log's numbering).
    /// - Parameters:
    ///   - next: The next sequence number, at least 1.
    ///   - stream: The stream name.
    public mutating func setNextSequence(_ next: Int, for stream: String) {
        streams[stream, default: StreamState()].nextSequence = max(1, next)
    }

    /// The id an event of `stream` with sequence number `sequence` gets: `"<stream>-000042"`.
    public static func eventID(stream: String, sequence: Int) -> String {
        let digits = String(sequence)
        return stream + "-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    // MARK: - Closing

    /// The confidence floor: a read at `minConfidence` and `minSightings` reads.
    private func passesFloor(_ event: OpenEvent) -> Bool {
        event.confirmed && event.sightings >= configuration.minSightings
    }

    /// Whether `event` is a few reads of a plate that one of `others` goes on to read in the same place
    /// (the plate sliding in), or that one of `others` or of the stream's recent `tails` read there just
    /// before (the plate sliding out).
    private func isFragment(_ event: OpenEvent, among others: [OpenEvent], tails: [Tail]) -> Bool {
        let limit = configuration.fragmentMaxSightings
        guard event.sightings <= limit else { return false }
        return others.contains { other in
            guard other.key != event.key, other.sightings > limit, passesFloor(other) else { return false }
            return opensJustAfter(other.firstPts, other.firstBox, lastPts: event.lastPts, lastBox: event.lastBox)
                || opensJustAfter(event.firstPts, event.firstBox, lastPts: other.lastPts, lastBox: other.lastBox)
        } || tails.contains { opensJustAfter(event.firstPts, event.firstBox, lastPts: $0.lastPts, lastBox: $0.lastBox) }
    }

    /// Whether an event whose first read is at `firstPts` in `firstBox` opened at most `motionSeconds`
    /// after another's last read (`lastPts`, `lastBox`), in the same place.
    private func opensJustAfter(_ firstPts: Double, _ firstBox: PixelRect, lastPts: Double, lastBox: PixelRect) -> Bool {
        firstPts > lastPts && firstPts - lastPts <= configuration.motionSeconds
            && firstBox.iou(lastBox) >= configuration.minIoU
    }

    private mutating func close(_ events: [OpenEvent], in state: inout StreamState, stream: String) -> [PlateEvent] {
        var out: [PlateEvent] = []
        let neighbours = events + state.open
        for event in events.sorted(by: { ($0.lastPts, $0.key) < ($1.lastPts, $1.key) }) {
            let vote = event.currentVote
            guard passesFloor(event), !vote.text.isEmpty,
                  !isFragment(event, among: neighbours, tails: state.tails) else {
                discardedEvents += 1
                continue
            }
            if event.sightings > configuration.fragmentMaxSightings {
                state.tails.append(Tail(lastPts: event.lastPts, lastBox: event.lastBox))
            }
            let fixed = configuration.formatRules.apply(to: vote.text)
            if let r = state.recent.indices.last(where: { i in
                event.firstPts - state.recent[i].lastPts < configuration.repeatMemorySeconds
                    && PlateText.editDistance(state.recent[i].text, fixed.text, limit: configuration.repeatMaxEditDistance)
                        <= configuration.repeatMaxEditDistance
            }) {
                suppressedSightings += 1
                var seen = resightings[state.recent[r].id] ?? Resightings(count: 0, lastSeen: event.lastSeen, lastPts: event.lastPts)
                seen.count += 1
                seen.lastSeen = max(seen.lastSeen, event.lastSeen)
                seen.lastPts = max(seen.lastPts, event.lastPts)
                resightings[state.recent[r].id] = seen
                state.recent[r].lastPts = max(state.recent[r].lastPts, event.lastPts)
                continue
            }
            let id = Self.eventID(stream: stream, sequence: state.nextSequence)
            state.nextSequence += 1
            let best = event.bestObservation(for: vote.text)
            out.append(PlateEvent(
                id: id, stream: stream, text: fixed.text, rawText: vote.text, confidence: vote.confidence,
                characterConfidences: vote.characterConfidences, candidates: event.candidates,
                sightings: event.sightings, firstPts: event.firstPts, lastPts: event.lastPts,
                firstFrame: event.firstFrame, lastFrame: event.lastFrame,
                firstSeen: event.firstSeen, lastSeen: event.lastSeen, box: best.box,
                watchlistLabel: configuration.watchlist.match(fixed.text) ?? configuration.watchlist.match(vote.text),
                cropPath: nil, bestRead: best.read, bestCrop: best.crop))
            state.recent.append(Recent(id: id, text: fixed.text, lastPts: event.lastPts))
            emittedEvents += 1
        }
        return out
    }
}

// MARK: - State

private struct StreamState: Sendable {
    var clock: Double?
    var open: [OpenEvent] = []
    /// Where and when recently closed long events (more than `fragmentMaxSightings` reads, past the
    /// confidence floor) were last read, to drop the fragments of a plate sliding out.
    var tails: [Tail] = []
    var recent: [Recent] = []
    var nextSequence = 1
}

/// The last read of a closed event that can make a later few-read event in its place a fragment.
private struct Tail: Sendable {
    let lastPts: Double
    let lastBox: PixelRect
}

/// An emitted event remembered for repeat suppression.
private struct Recent: Sendable {
    let id: String
    let text: String
    var lastPts: Double
}

private struct BestObservation: Sendable {
    var read: PlateRead
    var crop: PixelImage?
    var box: PixelRect
}

private struct OpenEvent: Sendable {
    let key: Int
    var reads: [PlateRead] = []
    var tally: [String: VoteCandidate] = [:]
    var bestByText: [String: BestObservation] = [:]
    var sightings = 0
    var confirmed = false
    var firstPts: Double
    var lastPts: Double
    var firstFrame: Int
    var lastFrame: Int
    var firstSeen: Date
    var lastSeen: Date
    var firstBox: PixelRect
    var lastBox: PixelRect
    var vote: PlateVote.Result
    var voteIsFresh = true

    static let maxBestTexts = 32

    init(key: Int, obs: PlateObservation, configuration: PlateTracker.Configuration) {
        self.key = key
        firstPts = obs.ptsSeconds; lastPts = obs.ptsSeconds
        firstFrame = obs.frameIndex; lastFrame = obs.frameIndex
        firstSeen = obs.wallTime; lastSeen = obs.wallTime
        firstBox = obs.box; lastBox = obs.box
        vote = PlateVote.vote([])
        add(obs, configuration: configuration)
    }

    var candidates: [VoteCandidate] { tally.values.sorted(by: VoteCandidate.ordered) }

    mutating func add(_ obs: PlateObservation, configuration: PlateTracker.Configuration) {
        let read = obs.read
        sightings += 1
        if read.confidence >= configuration.minConfidence { confirmed = true }
        if obs.ptsSeconds >= lastPts {
            lastPts = obs.ptsSeconds; lastFrame = obs.frameIndex; lastSeen = obs.wallTime; lastBox = obs.box
        }
        if obs.ptsSeconds < firstPts {
            firstPts = obs.ptsSeconds; firstFrame = obs.frameIndex; firstSeen = obs.wallTime; firstBox = obs.box
        }
        let old = tally[read.text]
        tally[read.text] = VoteCandidate(text: read.text, votes: (old?.votes ?? 0) + 1,
                                         totalConfidence: (old?.totalConfidence ?? 0) + Double(read.confidence))
        if (bestByText[read.text]?.read.confidence ?? -1) < read.confidence {
            bestByText[read.text] = BestObservation(read: read, crop: obs.crop, box: obs.box)
            if bestByText.count > Self.maxBestTexts,
               let weakest = bestByText.min(by: { ($0.value.read.confidence, $0.key) < ($1.value.read.confidence, $1.key) }) {
                bestByText[weakest.key] = nil
            }
        }
        if reads.count < configuration.maxReadsPerEvent {
            reads.append(read)
        } else if let i = reads.indices.min(by: { reads[$0].confidence < reads[$1].confidence }),
                  reads[i].confidence < read.confidence {
            reads[i] = read
        }
        // Re-vote on every read while the event is young or the read is a new text; later, every 8th read
        // (the cached vote is only used for matching and snapshots; `currentVote` is always exact).
        if sightings <= 32 || sightings % 8 == 0 || tally[read.text]!.votes == 1 {
            vote = PlateVote.vote(reads)
            voteIsFresh = true
        } else {
            voteIsFresh = false
        }
    }

    /// The vote over all kept reads.
    var currentVote: PlateVote.Result { voteIsFresh ? vote : PlateVote.vote(reads) }

    /// The best read whose text is `text`, else the most confident read kept.
    func bestObservation(for text: String) -> BestObservation {
        if let b = bestByText[text] { return b }
        return bestByText.values.max { ($0.read.confidence, $0.read.text) < ($1.read.confidence, $1.read.text) }!
    }
}
