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
        let box = try c.decode([Int].self, forKey: .box)
        guard box.count == 4 else {
            throw DecodingError.dataCorruptedError(forKey: .box, in: c, debugDescription: "box must be [x,y,w,h]")
        }
        let text = try c.decode(String.self, forKey: .text)
        let confidence = try c.decode(Float.self, forKey: .confidence)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            stream: try c.decode(String.self, forKey: .stream),
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

    static func round(_ v: Double, digits: Int = 4) -> Double {
        guard v.isFinite else { return 0 }
        let scale = pow(10.0, Double(digits))
        return (v * scale).rounded() / scale
    }
}
