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
        let heatOnly = try DetectorFlags.parse(["--no-detector-verifier"])
        #expect(none.options().useVerifier && !heatOnly.options().useVerifier)
        let mainOnly = try DetectorFlags.parse(["--no-detector-fine-head"])
        #expect(none.options().useFineHead && !mainOnly.options().useFineHead && mainOnly.options().useVerifier)
        #expect(throws: RuntimeFailure.self) { try DetectorFlags.parse(["--detector", "/nonexistent/d.safetensors"]).modelPath() }
    }

    @Test func fullFramesAreAtLeast320x160() {
        #expect(DetectorFlags.isFullFrame(PixelImage(width: 320, height: 160, format: .gray8)))
        #expect(!DetectorFlags.isFullFrame(PixelImage(width: 202, height: 80, format: .gray8)))
        #expect(!DetectorFlags.isFullFrame(PixelImage(width: 640, height: 120, format: .gray8)))
    }

    /// A temporary folder with the demo's frame at 2 s (`f.jpg`) and `boxes.csv` labelling its plate.
    func demoFrameFolder() throws -> String {
        let dir = try CLI.makeTempDir()
        _ = try CLI.tool(CLI.ffmpeg, ["-nostdin", "-v", "error", "-y", "-ss", "2.0", "-i", CLI.packageRoot + "/streams/demo.mp4",
                                  "-frames:v", "1", "-q:v", "2", dir + "/f.jpg"])
        // The plate's box in the 1280x720 frame.
        try "file,x,y,w,h,text\nf.jpg,556,577,174,46,RTX4D72\n".write(toFile: dir + "/boxes.csv", atomically: true, encoding: .utf8)
        return dir
    }

    /// `--verify` keeps a detection only when the recognizer reads it: the demo's first plate at
    /// 2 s reads as the 7 characters RTX4D72, so it counts with --min-length 7 and is dropped
    /// with --min-length 8 (and with a confidence floor of 1); the false positives (background,
    /// not read as 7 characters) are dropped either way.
    @Test(.enabled(if: CLI.ready && CLI.latinModelPresent
                   && FileManager.default.fileExists(atPath: CLI.packageRoot + "/models/detector.safetensors")))
    func verifyKeepsOnlyDetectionsTheRecognizerReads() throws {
        let dir = try demoFrameFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func recallLine(_ extra: [String]) throws -> (line: String, verified: String?) {
            let r = try CLI.platetop(["detect-eval", dir] + extra, timeout: 120)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            return (r.stdoutLines.first { $0.hasPrefix("min score") } ?? "", r.stdoutLines.first { $0.hasPrefix("verified:") })
        }
        let plain = try recallLine([])
        #expect(plain.line.contains("recall 1/1"), "\(plain)")
        #expect(plain.verified == nil)
        let falsePositives = try #require(plain.line.components(separatedBy: "false positives ").last?.split(separator: " ").first.flatMap { Int($0) })
        #expect(falsePositives <= 1, "\(plain)")
        let kept = try recallLine(["--verify", "--min-length", "7"])
        #expect(kept.line.contains("recall 1/1") && kept.line.contains("false positives 0 "), "\(kept)")
        #expect(kept.line.hasSuffix("precision 1/1 (100.0%)"), "\(kept)")
        #expect(kept.verified?.hasSuffix("(\(falsePositives) others dropped)") == true, "\(kept)")
        let short = try recallLine(["--verify", "--min-length", "8"])
        #expect(short.line.contains("recall 0/1") && short.verified?.hasSuffix("(\(falsePositives + 1) others dropped)") == true, "\(short)")
        let sure = try recallLine(["--verify", "--min-confidence", "1"])
        #expect(sure.line.contains("recall 0/1"), "\(sure)")
        let bad = try CLI.platetop(["detect-eval", dir, "--verify", "--min-length", "0"])
        #expect(bad.status != 0 && bad.stderr.contains("--min-length must be within 1...16"), "stderr: \(bad.stderr)")
    }

    /// `--detections` lists every detection at the lowest score reported, with its best IoU: on the
    /// demo frame the plate is one row (IoU >= 0.5), the rows at or above the calibrated score are
    /// the recall line's matches plus false positives, and the shipped verifier changes the plate's
    /// score from the heat map's (`--no-detector-verifier`) and, when it refines boxes, moves the
    /// plate's box closer to the label.
    @Test(.enabled(if: CLI.ready && FileManager.default.fileExists(atPath: CLI.packageRoot + "/models/detector.safetensors")))
    func detectionsFileListsEveryDetection() throws {
        let dir = try demoFrameFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func rows(_ extra: [String]) throws -> (rows: [[String]], recall: String) {
            let r = try CLI.platetop(["detect-eval", dir, "--thresholds", "0.05", "--detections", dir + "/d.csv"] + extra, timeout: 120)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            let lines = try String(contentsOfFile: dir + "/d.csv", encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.first == "file,x,y,w,h,score,iou")
            return (lines.dropFirst().map { $0.split(separator: ",").map(String.init) }, r.stdoutLines.first { $0.hasPrefix("min score") } ?? "")
        }
        let verified = try rows([])
        #expect(verified.rows.allSatisfy { $0.count == 7 && $0[0] == "f.jpg" }, "\(verified.rows)")
        let plate = verified.rows.filter { Double($0[6])! >= 0.5 }
        #expect(plate.count == 1, "\(verified.rows)")
        #expect(abs(Double(plate.first?[1] ?? "0")! - 556) < 20 && abs(Double(plate.first?[3] ?? "0")! - 174) < 30)
        // The recall line counts the rows at or above its score: 1 match, the rest false positives.
        let reported = try #require(Double(verified.recall.split(separator: " ")[2].trimmingCharacters(in: CharacterSet(charactersIn: ":"))))
        let above = verified.rows.filter { Double($0[5])! >= reported }.count
        #expect(verified.recall.contains("recall 1/1") && verified.recall.contains("false positives \(above - 1) "), "\(verified.recall) \(above)")
        #expect(verified.recall.contains("precision 1/\(above) "), "\(verified.recall) \(above)")
        let heat = try rows(["--no-detector-verifier"])
        let heatPlate = heat.rows.filter { Double($0[6])! >= 0.5 }
        #expect(heatPlate.count == 1)
        #expect(heatPlate.first?[5] != plate.first?[5], "the verifier re-scores the plate: \(heatPlate) \(plate)")
        let refines = try DetectorModel(contentsOf: CLI.packageRoot + "/models/detector.safetensors").info.verifier?.refinesBoxes ?? false
        if refines {
            #expect(Double(plate.first?[6] ?? "0")! > Double(heatPlate.first?[6] ?? "1")!, "moved closer: \(plate) \(heatPlate)")
        } else {
            #expect(heatPlate.first?[1] == plate.first?[1])
        }
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

    /// `info` names the detector a command without --roi would use, with the flags applied.
    @Test(.enabled(if: CLI.ready && FileManager.default.fileExists(atPath: CLI.packageRoot + "/models/detector.safetensors")))
    func infoShowsTheDetectorInUse() throws {
        let path = CLI.packageRoot + "/models/detector.safetensors"
        let file = try DetectorModel(contentsOf: path).info
        let r = try CLI.platetop(["info", "--model", CLI.tinyModel, "--detector", path,
                                  "--detector-min-score", "0.4", "--detector-width", "640"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdoutLines
        #expect(lines.contains("detector: \(path)"), "\(lines)")
        #expect(lines.contains("  name: \(file.name)"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  input: 640 px wide (model's \(file.inputWidth)), rgb") }, "\(lines)")
        #expect(lines.contains("  layers: \(file.layerCount), parameters: \(file.parameterCount)"), "\(lines)")
        let plain = try CLI.platetop(["info", "--model", CLI.tinyModel, "--detector", path])
        if let v = file.verifier {
            // The shipped file has a verifier: its calibrated threshold is the default, the heat map's without it.
            #expect(lines.contains("  min score: 0.4 (model's calibrated \(v.minScore) with the verifier, \(file.minScore) without)"), "\(lines)")
            #expect(lines.contains { $0.hasPrefix("  verifier: on; \(v.layerCount) layers, parameters: \(v.parameterCount), input \(v.inputWidth)x\(v.inputHeight) grey") }, "\(lines)")
            let verifierLine = lines.first { $0.hasPrefix("  verifier: on;") } ?? ""
            #expect(verifierLine.contains(", boxes moved to the verifier's") == v.refinesBoxes, "\(lines)")
            #expect(verifierLine.hasSuffix(v.recheckMinScore.map { ", moved boxes from score \($0) verified again" } ?? (v.refinesBoxes ? "verifier's" : "verifier^\(v.weight)")), "\(lines)")
            #expect(plain.stdoutLines.contains("  min score: \(v.minScore) (model's calibrated \(v.minScore) with the verifier, \(file.minScore) without)"), "\(plain.stdoutLines)")
            let heat = try CLI.platetop(["info", "--model", CLI.tinyModel, "--detector", path, "--no-detector-verifier"])
            #expect(heat.stdoutLines.contains { $0.hasPrefix("  verifier: off (--no-detector-verifier);") }, "\(heat.stdoutLines)")
            #expect(heat.stdoutLines.contains("  min score: \(file.minScore) (model's calibrated \(v.minScore) with the verifier, \(file.minScore) without)"), "\(heat.stdoutLines)")
            if let f = file.fineHead {
                #expect(lines.contains("  fine head: on; stride \(f.stride) (backbone layers \(f.inputLayer) and \(f.contextLayer)), \(f.layerCount) layers, "
                                       + "parameters: \(f.parameterCount), candidates from its score \(f.minScore)"), "\(lines)")
                let mainOnly = try CLI.platetop(["info", "--model", CLI.tinyModel, "--detector", path, "--no-detector-fine-head"])
                #expect(mainOnly.stdoutLines.contains { $0.hasPrefix("  fine head: off (--no-detector-fine-head); stride \(f.stride)") }, "\(mainOnly.stdoutLines)")
            }
        } else {
            #expect(lines.contains("  min score: 0.4 (model's calibrated \(file.minScore))"), "\(lines)")
            #expect(plain.stdoutLines.contains("  min score: \(file.minScore) (model's calibrated \(file.minScore))"), "\(plain.stdoutLines)")
        }
        let off = try CLI.platetop(["info", "--model", CLI.tinyModel, "--no-detector"])
        #expect(off.status == 0 && off.stdoutLines.contains("detector: none (--no-detector)"), "\(off.stdoutLines)")
        #expect(off.stdoutLines.contains("  input: 94x24x1 gray, (x - 127.5) * 0.0078125, 18 CTC steps, bilinear resize"), "\(off.stdoutLines)")
        let wrong = try CLI.platetop(["info", "--model", CLI.tinyModel, "--detector", CLI.tinyModel])
        #expect(wrong.status == 1 && wrong.stderr.contains("cannot load detector model") && wrong.stderr.contains("not centernet-tiny"),
                "stderr: \(wrong.stderr)")
    }

    /// `platetop bench --detector`: the input size and multiply-adds it reports are the detector's
    /// own for that frame, and every timing field is there and positive.
    @Test(.enabled(if: CLI.binary != nil))
    func benchTimesTheDetector() throws {
        let path = CLI.packageRoot + "/models/detector.safetensors"
        let detector = try PlateDetector(modelPath: path, options: .init(inputWidth: 160))
        let (w, h) = detector.inputSize(frameWidth: 320, frameHeight: 180)
        let macs = try DetectorModel(contentsOf: path).multiplyAdds(width: w, height: h)
        let r = try CLI.platetop(["bench", "--detector", path, "--frame-size", "320x180", "--detector-width", "160",
                                  "--runs", "3", "--warmup", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdoutLines
        #expect(lines.first == "detector: \(detector.info.name) (\(detector.info.parameterCount) parameters), frame 320x180 -> input \(w)x\(h), "
                + String(format: "%.1f M multiply-adds per frame", Double(macs) / 1e6), "\(lines)")
        let timing = try #require(lines.first { $0.hasPrefix("detector threads=1 ") }, "\(lines)")
        for key in ["resize_ms", "network_ms", "frame_ms", "network_gmacs", "frames_per_s"] {
            let value = timing.components(separatedBy: key + "=").dropFirst().first.flatMap { Double($0.prefix { !$0.isWhitespace }) }
            #expect((value ?? 0) > 0, "\(key) in \(timing)")
        }
        if let v = detector.verifier {
            let line = try #require(lines.first { $0.hasPrefix("verifier threads=1 ") }, "\(lines)")
            #expect(line.hasPrefix("verifier threads=1 input \(v.inputWidth)x\(v.inputHeight), "
                                   + String(format: "%.1f M multiply-adds per candidate", Double(detector.model.verifierMultiplyAdds) / 1e6)), "\(line)")
            #expect(detector.model.verifierMultiplyAdds > 100_000)
            let ms = line.components(separatedBy: "candidate_ms=").dropFirst().first.flatMap { Double($0.prefix { !$0.isWhitespace }) }
            #expect((ms ?? 0) > 0, "\(line)")
        } else {
            #expect(!lines.contains { $0.hasPrefix("verifier") }, "\(lines)")
        }
        let none = try CLI.platetop(["bench"])
        #expect(none.status != 0 && none.stderr.contains("give --model, --detector or both"), "stderr: \(none.stderr)")
        let bad = try CLI.platetop(["bench", "--detector", path, "--frame-size", "320"])
        #expect(bad.status != 0 && bad.stderr.contains("--frame-size must be WxH"), "stderr: \(bad.stderr)")
    }
}
