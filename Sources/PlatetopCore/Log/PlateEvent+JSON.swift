import Foundation

/// The detection-log form of an event: one flat JSON object with snake_case keys.
///
/// ```json
/// {"id":"cam-000001","stream":"cam","text":"ABC1234","raw_text":"ABC1234","confidence":0.91,
///  "char_confidences":[0.93,…],"candidates":[{"text":"ABC1234","votes":6,"confidence":0.9}],
///  "sightings":10,"first_pts":12.4,"last_pts":14.0,"first_frame":310,"last_frame":350,
///  "first_seen":"2026-11-23T12:34:56.789+00:00","last_seen":"…","watchlist":null,"crop":null,
///  "box":[640,400,320,120],"best_read":{"text":"ABC1234","confidence":0.93,"characters":[…]}}
/// ```
/// Dates use `LogTimestamp` in the time zone found under `LogTimestamp.timeZoneKey` in the encoder's
/// `userInfo` (default: the current zone). Confidences are rounded to 4 decimals. `bestCrop` is not encoded.
extension PlateEvent: Codable {
    enum CodingKeys: String, CodingKey {
        case id, stream, text
        case rawText = "raw_text"
        case confidence
        case characterConfidences = "char_confidences"
        case candidates, sightings
        case firstPts = "first_pts", lastPts = "last_pts"
        case firstFrame = "first_frame", lastFrame = "last_frame"
        case firstSeen = "first_seen", lastSeen = "last_seen"
        case watchlist, crop, box
        case bestRead = "best_read"
    }

    private struct CandidateJSON: Codable {
        let text: String
        let votes: Int
        let confidence: Double
    }

    public func encode(to encoder: Encoder) throws {
        let zone = encoder.userInfo[LogTimestamp.timeZoneKey] as? TimeZone ?? .current
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(stream, forKey: .stream)
        try c.encode(text, forKey: .text)
        try c.encode(rawText, forKey: .rawText)
        try c.encode(Self.round(Double(confidence)), forKey: .confidence)
        try c.encode(characterConfidences.map { Self.round(Double($0)) }, forKey: .characterConfidences)
        try c.encode(candidates.map { CandidateJSON(text: $0.text, votes: $0.votes, confidence: Self.round($0.meanConfidence)) },
                     forKey: .candidates)
        try c.encode(sightings, forKey: .sightings)
        try c.encode(Self.round(firstPts, digits: 6), forKey: .firstPts)
        try c.encode(Self.round(lastPts, digits: 6), forKey: .lastPts)
        try c.encode(firstFrame, forKey: .firstFrame)
        try c.encode(lastFrame, forKey: .lastFrame)
        try c.encode(LogTimestamp.string(from: firstSeen, timeZone: zone), forKey: .firstSeen)
        try c.encode(LogTimestamp.string(from: lastSeen, timeZone: zone), forKey: .lastSeen)
        if let watchlistLabel { try c.encode(watchlistLabel, forKey: .watchlist) } else { try c.encodeNil(forKey: .watchlist) }
        if let cropPath { try c.encode(cropPath, forKey: .crop) } else { try c.encodeNil(forKey: .crop) }
        try c.encode([box.x, box.y, box.width, box.height], forKey: .box)
        try c.encode(PlateRead(text: bestRead.text, confidence: Float(Self.round(Double(bestRead.confidence))),
                               characters: bestRead.characters.map {
                                   CharacterRead(character: $0.character, confidence: Float(Self.round(Double($0.confidence))),
                                                 timeStep: $0.timeStep)
                               }), forKey: .bestRead)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func date(_ key: CodingKeys) throws -> Date {
            let s = try c.decode(String.self, forKey: key)
            guard let d = LogTimestamp.date(from: s) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not an ISO 8601 timestamp: \(s)")
            }
            return d
        }
        let id = try c.decode(String.self, forKey: .id)
        let stream = try c.decode(String.self, forKey: .stream)
        let text = try c.decode(String.self, forKey: .text)
        let box = try c.decode([Int].self, forKey: .box)
        guard box.count == 4 else {
            throw DecodingError.dataCorruptedError(forKey: .box, in: c, debugDescription: "box must be [x,y,w,h]")
        }
        let confidence = try c.decode(Float.self, forKey: .confidence)
        self.init(
            id: id,
            stream: stream,
            text: text,
            rawText: try c.decodeIfPresent(String.self, forKey: .rawText) ?? text,
            confidence: confidence,
            characterConfidences: try c.decodeIfPresent([Float].self, forKey: .characterConfidences) ?? [],
            candidates: (try c.decodeIfPresent([CandidateJSON].self, forKey: .candidates) ?? []).map {
                VoteCandidate(text: $0.text, votes: $0.votes, totalConfidence: $0.confidence * Double($0.votes))
            },
            sightings: try c.decode(Int.self, forKey: .sightings),
            firstPts: try c.decode(Double.self, forKey: .firstPts),
            lastPts: try c.decode(Double.self, forKey: .lastPts),
            firstFrame: try c.decodeIfPresent(Int.self, forKey: .firstFrame) ?? 0,
            lastFrame: try c.decodeIfPresent(Int.self, forKey: .lastFrame) ?? 0,
            firstSeen: try date(.firstSeen),
            lastSeen: try date(.lastSeen),
            box: PixelRect(x: box[0], y: box[1], width: box[2], height: box[3]),
            watchlistLabel: try c.decodeIfPresent(String.self, forKey: .watchlist),
            cropPath: try c.decodeIfPresent(String.self, forKey: .crop),
            bestRead: try c.decodeIfPresent(PlateRead.self, forKey: .bestRead)
                ?? PlateRead(text: text, confidence: confidence, characters: []),
            bestCrop: nil)
    }

    /// The log line: the same object as `encode(to:)` produces, with keys in the documented order.
    func jsonLine(timeZone: TimeZone) -> String {
        var o = JSONLineWriter()
        o.key("id"); o.string(id)
        o.key("stream"); o.string(stream)
        o.key("text"); o.string(text)
        o.key("raw_text"); o.string(rawText)
        o.key("confidence"); o.number(Self.round(Double(confidence)))
        o.key("char_confidences"); o.array(characterConfidences) { o, v in o.number(Self.round(Double(v))) }
        o.key("candidates")
        o.array(candidates) { o, cand in
            o.object {
                $0.key("text"); $0.string(cand.text)
                $0.key("votes"); $0.int(cand.votes)
                $0.key("confidence"); $0.number(Self.round(cand.meanConfidence))
            }
        }
        o.key("sightings"); o.int(sightings)
        o.key("first_pts"); o.number(Self.round(firstPts, digits: 6))
        o.key("last_pts"); o.number(Self.round(lastPts, digits: 6))
        o.key("first_frame"); o.int(firstFrame)
        o.key("last_frame"); o.int(lastFrame)
        o.key("first_seen"); o.string(LogTimestamp.string(from: firstSeen, timeZone: timeZone))
        o.key("last_seen"); o.string(LogTimestamp.string(from: lastSeen, timeZone: timeZone))
        o.key("watchlist"); o.optionalString(watchlistLabel)
        o.key("crop"); o.optionalString(cropPath)
        o.key("box"); o.array([box.x, box.y, box.width, box.height]) { o, v in o.int(v) }
        o.key("best_read")
        o.object {
            $0.key("text"); $0.string(bestRead.text)
            $0.key("confidence"); $0.number(Self.round(Double(bestRead.confidence)))
            $0.key("characters")
            $0.array(bestRead.characters) { o, ch in
                o.object {
                    $0.key("character"); $0.string(ch.character)
                    $0.key("confidence"); $0.number(Self.round(Double(ch.confidence)))
                    $0.key("timeStep"); $0.int(ch.timeStep)
                }
            }
        }
        return o.finish()
    }

    static func round(_ v: Double, digits: Int = 4) -> Double {
        guard v.isFinite else { return 0 }
        let scale = pow(10.0, Double(digits))
        return (v * scale).rounded() / scale
    }
}

/// A minimal single-line JSON object writer that keeps keys in the order written.
struct JSONLineWriter {
    private var out = "{"
    private var needsComma = [false]

    mutating func key(_ k: String) {
        if needsComma[needsComma.count - 1] { out += "," }
        needsComma[needsComma.count - 1] = true
        string(k)
        out += ":"
    }

    mutating func string(_ s: String) { out += JSONText.quoted(s) }

    mutating func optionalString(_ s: String?) {
        if let s { string(s) } else { out += "null" }
    }

    mutating func int(_ v: Int) { out += String(v) }

    /// Finite doubles in Swift's shortest round-trip form (`0.9`, `12.5`, `1e-05`); non-finite as 0.
    mutating func number(_ v: Double) {
        guard v.isFinite else { out += "0"; return }
        if v == v.rounded(), abs(v) < 1e15 { out += String(Int64(v)) } else { out += String(v) }
    }

    mutating func array<T>(_ items: [T], _ each: (inout JSONLineWriter, T) -> Void) {
        out += "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            each(&self, item)
        }
        out += "]"
    }

    mutating func object(_ body: (inout JSONLineWriter) -> Void) {
        out += "{"
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        out += "}"
    }

    func finish() -> String { out + "}" }
}
