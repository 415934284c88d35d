import Foundation
import PlatetopCore
import Synchronization

/// The region a stream reads, shared between the recognize queue and the UI (ROI nudges).
final class RegionBox: Sendable {
    private let value: Mutex<RegionOfInterest?>
    init(_ region: RegionOfInterest?) { value = Mutex(region) }
    var region: RegionOfInterest? { value.withLock { $0 } }
    func set(_ region: RegionOfInterest?) { value.withLock { $0 = region } }
}

/// Locate (fixed region, else the full-frame detector) + recognize, confined to the recognize queue.
final class PlateStage: RecognitionStage {
    let recognizer: LPRNetRecognizer
    let region: RegionBox
    let detector: PlateDetector?
    let keepFrames: Bool

    init(recognizer: LPRNetRecognizer, region: RegionBox, detector: PlateDetector? = nil, keepFrames: Bool) {
        self.recognizer = recognizer
        self.region = region
        self.detector = detector
        self.keepFrames = keepFrames
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15
    }

    func process(_ frame: DecodedFrame) throws -> FrameResult {
        let t0 = ContinuousClock.now
        var candidates: [PlateCandidate] = []
        if let roi = region.region {
            do {
                candidates = try FixedRegionLocator(region: roi).locate(in: frame.image)
            } catch {
                throw RuntimeFailure(String(describing: error))
            }
        } else if let detector {
            candidates = try detector.locate(in: frame.image)
        }
        let locateMs = Self.milliseconds(since: t0)
        let t1 = ContinuousClock.now
        let reads = candidates.isEmpty ? [] : try recognizer.recognize(candidates.map(\.crop))
        let recognizeMs = Self.milliseconds(since: t1)
        let plates = zip(candidates, reads).map { c, r in
            RecognizedPlate(box: c.box, locatorScore: c.score, read: r, crop: c.crop)
        }
        return FrameResult(
            frameIndex: frame.index, ptsSeconds: frame.ptsSeconds, wallTime: Date(),
            frameWidth: frame.image.width, frameHeight: frame.image.height,
            plates: plates, boxes: candidates.map(\.box), frame: keepFrames ? frame.image : nil,
            locateMilliseconds: locateMs, recognizeMilliseconds: recognizeMs)
    }
}
