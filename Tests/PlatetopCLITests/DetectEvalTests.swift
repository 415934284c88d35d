import Foundation
import Testing
import PlatetopCore
@testable import platetop

/// `detect-eval` matching and box-file parsing, and the detector flag precedence.
struct DetectEvalTests {
    func box(_ x: Float, _ y: Float, _ w: Float, _ h: Float, _ s: Float = 1) -> DetectedBox {
        DetectedBox(x: x, y: y, width: w, height: h, score: s)
    }

    @Test func matchIsOneToOneBestScoreFirst() {
        let truth = [box(0, 0, 100, 20), box(300, 300, 50, 10)]
        // Two detections on the first plate: the better-scored one matches, the other is a false positive.
        let dets = [box(2, 1, 100, 20, 0.6), box(0, 0, 100, 20, 0.9), box(500, 10, 40, 10, 0.8), box(300, 300, 50, 30, 0.7)]
        let (matched, fps) = DetectEval.match(dets, truth, iou: 0.5)
        #expect(matched == [0])
        // (300,300,50,30) vs (300,300,50,10): IoU 1/3 < 0.5, so the second plate is missed.
        #expect(fps.map(\.score).sorted() == [0.6, 0.7, 0.8])
        let loose = DetectEval.match(dets, truth, iou: 0.3)
        #expect(loose.matched == [0, 1] && loose.falsePositives.count == 2)
    }

    @Test func boxesFileListsFramesWithAndWithoutPlates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-boxes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = "file,x,y,w,h,text\na.jpg,10,20,30,8,AB123\nb.jpg,,,,,\na.jpg,100,50,60,15,\n"
        try csv.write(to: dir.appendingPathComponent("boxes.csv"), atomically: true, encoding: .utf8)
        let frames = try DetectEval.frames(at: dir.path)
        #expect(frames.map(\.name) == ["a.jpg", "b.jpg"])
        #expect(frames[0].boxes == [box(10, 20, 30, 8), box(100, 50, 60, 15)])
        #expect(frames[1].boxes.isEmpty && frames[0].path == dir.appendingPathComponent("a.jpg").path)
        try "file,x,y,w,h\nc.jpg,1,2,0,4\n".write(to: dir.appendingPathComponent("boxes.csv"), atomically: true, encoding: .utf8)
        #expect(throws: RuntimeFailure.self) { try DetectEval.frames(at: dir.path) }
    }

    @Test func detectorFlagsWinOverTheStreamFile() throws {
        let flags = try DetectorFlags.parse(["--detector-min-score", "0.6"])
        let o = flags.options(fileMinScore: 0.2, fileWidth: 960)
        #expect(o.minScore == 0.6 && o.inputWidth == 960)
        let none = try DetectorFlags.parse([])
        #expect(none.options().minScore == nil && none.options().inputWidth == nil)
        #expect(throws: (any Error).self) { try DetectorFlags.parse(["--detector-min-score", "1.5"]) }
        #expect(try DetectorFlags.parse(["--no-detector"]).modelPath() == nil)
        #expect(throws: RuntimeFailure.self) { try DetectorFlags.parse(["--detector", "/nonexistent/d.safetensors"]).modelPath() }
    }

    @Test func fullFramesAreAtLeast320x160() {
        #expect(DetectorFlags.isFullFrame(PixelImage(width: 320, height: 160, format: .gray8)))
        #expect(!DetectorFlags.isFullFrame(PixelImage(width: 202, height: 80, format: .gray8)))
        #expect(!DetectorFlags.isFullFrame(PixelImage(width: 640, height: 120, format: .gray8)))
    }

    /// Without --roi, replay runs the full-frame detector (here the shipped one) instead of failing.
    @Test(.enabled(if: CLI.ready && FileManager.default.fileExists(atPath: CLI.packageRoot + "/models/detector.safetensors")))
    func replayWithoutROIUsesTheDetector() throws {
        let r = try CLI.platetop(["replay", try CLI.clip(), "--headless", "--no-log", "--model", CLI.tinyModel,
                                  "--detector", CLI.packageRoot + "/models/detector.safetensors", "--detector-min-score", "0.5"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("decoded=45"), "stderr: \(r.stderr)")
        let bad = try CLI.platetop(["replay", try CLI.clip(), "--headless", "--no-log", "--model", CLI.tinyModel,
                                    "--detector", CLI.tinyModel])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("cannot load detector model") && bad.stderr.contains("not centernet-tiny"), "stderr: \(bad.stderr)")
    }
}
