import Foundation
@testable import PlatetopCore

/// 2026-11-23T12:34:56Z.
let trackEpoch = Date(timeIntervalSince1970: 1_795_437_296)

/// A read whose characters all carry `confidence` (or the given per-character confidences).
func makeRead(_ text: String, _ confidence: Float, perChar: [Float]? = nil) -> PlateRead {
    let chars = Array(text)
    let confs = perChar ?? [Float](repeating: confidence, count: chars.count)
    return PlateRead(text: text, confidence: confidence,
                     characters: chars.enumerated().map { CharacterRead(character: String($1), confidence: confs[$0], timeStep: 2 * $0) })
}

let roiBox = PixelRect(x: 640, y: 400, width: 320, height: 120)

/// An observation at `pts` seconds of stream time (frame = pts × 10) whose wall time is epoch + pts.
func observe(_ text: String, _ confidence: Float, at pts: Double, stream: String = "cam", box: PixelRect = roiBox,
             crop: PixelImage? = nil) -> PlateObservation {
    PlateObservation(stream: stream, frameIndex: Int((pts * 10).rounded()), ptsSeconds: pts,
                     wallTime: trackEpoch.addingTimeInterval(pts), box: box, read: makeRead(text, confidence), crop: crop)
}

/// Feeds `reads` (text, confidence) at `start`, `start + step`, … and returns the events that closed meanwhile.
func feed(_ tracker: inout PlateTracker, _ reads: [(String, Float)], start: Double, step: Double = 0.1,
          stream: String = "cam", box: PixelRect = roiBox) -> [PlateEvent] {
    var out: [PlateEvent] = []
    for (i, r) in reads.enumerated() {
        out += tracker.ingest(observe(r.0, r.1, at: start + Double(i) * step, stream: stream, box: box))
    }
    return out
}

func repeated(_ text: String, _ confidence: Float, _ count: Int) -> [(String, Float)] {
    Array(repeating: (text, confidence), count: count)
}
