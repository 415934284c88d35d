import ArgumentParser
import Foundation
import PlatetopCore
import PlatetopVideo

/// `platetop detect-eval DIR`: plate-detector recall and false positives on labelled frames.
struct DetectEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect-eval",
        abstract: "Measure the plate detector: recall at an IoU and false positives per frame.",
        discussion: """
        Boxes come from DIR/boxes.csv (or a CSV given instead of DIR): a header line, then \
        file,x,y,w,h[,text] per plate in frame pixels; a row with empty x,y,w,h lists a frame \
        without plates. A detection matches the unmatched labelled box it overlaps most when the \
        IoU reaches --iou (detections taken best score first); every other detection is a false \
        positive. Prints recall, false positives per frame, precision (matched detections over all), recall by plate width (percent of the \
        frame width) and the median detector time per frame; --thresholds adds one line per score. \
        With --verify a detection counts only when the recognizer reads at least --min-length \
        characters from it with a confidence of at least --min-confidence, the reads that can \
        become events in read/replay/watch: what a user of the whole locator sees.
        """)

    @OptionGroup var detectorFlags: DetectorFlags

    @Option(help: "IoU a detection needs to match a labelled box.")
    var iou: Double = 0.5

    @Option(help: "Comma-separated extra score thresholds to report (e.g. 0.2,0.3,0.5).")
    var thresholds: String?

    @Option(help: "Write every frame's misses and false positives (FILE<TAB>kind<TAB>x,y,w,h<TAB>score) here.")
    var errors: String?

    @Option(help: ArgumentHelp("Write every detection (at the lowest score reported) as CSV here.",
                               discussion: "Columns file,x,y,w,h,score,iou: the box in frame pixels (clamped to the frame), its score and its best IoU with a labelled box of the frame."))
    var detections: String?

    @Flag(help: "Keep only detections the recognizer reads (see --min-length, --min-confidence).")
    var verify = false

    @Option(name: .long, help: ArgumentHelp("Recognition model for --verify (.safetensors).",
                                            discussion: "Default: models/latin.safetensors shipped with platetop."))
    var model: String?

    @Option(help: "With --verify: fewest characters a read needs.")
    var minLength = 4

    @Option(help: "With --verify: lowest read confidence (0...1).")
    var minConfidence = 0.5

    @Argument(help: "A folder with boxes.csv and the frames (or the CSV itself).")
    var path: String

    func validate() throws {
        guard iou > 0, iou <= 1 else { throw ValidationError("--iou must be within (0, 1]") }
        guard (1...16).contains(minLength) else { throw ValidationError("--min-length must be within 1...16") }
        guard minConfidence >= 0, minConfidence <= 1 else { throw ValidationError("--min-confidence must be within 0...1") }
        _ = try extraThresholds()
    }

    private func extraThresholds() throws -> [Float] {
        guard let thresholds else { return [] }
        return try thresholds.split(separator: ",").map {
            guard let v = Float($0.trimmingCharacters(in: .whitespaces)), v > 0, v < 1 else {
                throw ValidationError("--thresholds: '\($0)' is not a score between 0 and 1")
            }
            return v
        }
    }

    struct Frame {
        var path: String
        var name: String
        var boxes: [DetectedBox]
    }

    /// Frames and their labelled boxes, in file order of first appearance.
    static func frames(at path: String) throws -> [Frame] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw RuntimeFailure("cannot open '\(path)': No such file or directory")
        }
        let csv = isDir.boolValue ? URL(fileURLWithPath: path).appendingPathComponent("boxes.csv") : URL(fileURLWithPath: path)
        let base = csv.deletingLastPathComponent()
        guard let text = try? String(contentsOf: csv, encoding: .utf8) else {
            throw RuntimeFailure("cannot read boxes '\(csv.path)' (need file,x,y,w,h,text)")
        }
        var order: [String] = []
        var byName: [String: Frame] = [:]
        for (n, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if n == 0 && parts.first?.lowercased() == "file" { continue }
            guard parts.count >= 5, !parts[0].isEmpty else { throw RuntimeFailure("\(csv.path):\(n + 1): expected file,x,y,w,h,text") }
            let name = parts[0]
            if byName[name] == nil {
                order.append(name)
                let file = name.hasPrefix("/") ? name : base.appendingPathComponent(name).path
                byName[name] = Frame(path: file, name: name, boxes: [])
            }
            if parts[1...4].allSatisfy(\.isEmpty) { continue }
            let v = parts[1...4].compactMap { Float($0) }
            guard v.count == 4, v[2] > 0, v[3] > 0 else { throw RuntimeFailure("\(csv.path):\(n + 1): x,y,w,h must be numbers with w, h > 0") }
            byName[name]!.boxes.append(DetectedBox(x: v[0], y: v[1], width: v[2], height: v[3], score: 1))
        }
        return order.map { byName[$0]! }
    }

    /// (matched labelled-box indices, unmatched detections) for one frame.
    static func match(_ detections: [DetectedBox], _ truth: [DetectedBox], iou: Float) -> (matched: Set<Int>, falsePositives: [DetectedBox]) {
        var matched = Set<Int>(), fps: [DetectedBox] = []
        for d in detections.sorted(by: { $0.score > $1.score }) {
            var best: Float = 0, index = -1
            for (i, t) in truth.enumerated() where !matched.contains(i) {
                let o = d.iou(t)
                if o > best { best = o; index = i }
            }
            if index >= 0, best >= iou { matched.insert(index) } else { fps.append(d) }
        }
        return (matched, fps)
    }

    func run() throws {
        let extra = try extraThresholds()
        guard let modelPath = try detectorFlags.modelPath() else {
            throw RuntimeFailure("no plate detector found (looked for models/detector.safetensors); pass --detector PATH")
        }
        var options = detectorFlags.options()
        let reported = try DetectorFlags.load(path: modelPath, options: options).minScore
        options.minScore = min(reported, extra.min() ?? reported)
        let detector = try DetectorFlags.load(path: modelPath, options: options)
        let recognizer = verify ? try ModelPaths.loadRecognizer(explicit: model) : nil
        var unverified = 0
        let frames = try Self.frames(at: path)
        guard !frames.isEmpty else { throw RuntimeFailure("no frames listed in '\(path)'") }

        let scores = [reported] + extra.filter { $0 != reported }
        var tp = [Int](repeating: 0, count: scores.count), fp = tp
        let bins: [(String, Float, Float)] = [("1-3%", 0, 0.03), ("3-6%", 0.03, 0.06), ("6-10%", 0.06, 0.10), ("10-15%+", 0.10, 10)]
        var binTotal = [Int](repeating: 0, count: bins.count), binHit = binTotal
        var plates = 0
        var times: [Double] = []
        var errorLines: [String] = []
        var detectionLines = ["file,x,y,w,h,score,iou"]
        var inputSize = (0, 0)
        for f in frames {
            let image: PixelImage
            do { image = try ImageFile.load(path: f.path) } catch {
                throw RuntimeFailure("\(f.path): \(oneLine(String(describing: error)))")
            }
            inputSize = detector.inputSize(frameWidth: image.width, frameHeight: image.height)
            let t0 = ContinuousClock.now
            let raw = detector.detect(in: image)
            let d = ContinuousClock.now - t0
            times.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15)
            // Clamp to the frame like locate(in:) does.
            let W = Float(image.width), H = Float(image.height)
            var kept = raw
            if let recognizer {
                // Same crops as locate(in:); a box it would not read (cut by the frame edge) is dropped.
                let candidates = raw.map { detector.candidate(for: $0, in: image) }
                let crops = candidates.compactMap { $0?.crop }
                var reads = try recognizer.recognize(crops).makeIterator()
                kept = zip(raw, candidates).compactMap { b, c in
                    guard c != nil, let r = reads.next(), r.text.count >= minLength,
                          Double(r.confidence) >= minConfidence else { return nil }
                    return b
                }
                unverified += raw.count - kept.count
            }
            let dets = kept.map { b -> DetectedBox in
                let x0 = max(0, b.x), y0 = max(0, b.y), x1 = min(W, b.x + b.width), y1 = min(H, b.y + b.height)
                return DetectedBox(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0), score: b.score)
            }
            plates += f.boxes.count
            if detections != nil {
                for b in dets {
                    let best = f.boxes.map { b.iou($0) }.max() ?? 0
                    detectionLines.append("\(f.name),\(String(format: "%.1f,%.1f,%.1f,%.1f,%.4f,%.3f", b.x, b.y, b.width, b.height, b.score, best))")
                }
            }
            for (k, s) in scores.enumerated() {
                let (matched, fps) = Self.match(dets.filter { $0.score >= s }, f.boxes, iou: Float(iou))
                tp[k] += matched.count
                fp[k] += fps.count
                guard k == 0 else { continue }
                for (i, b) in f.boxes.enumerated() {
                    let frac = b.width / W
                    if let bi = bins.firstIndex(where: { frac >= $0.1 && frac < $0.2 }) {
                        binTotal[bi] += 1
                        if matched.contains(i) { binHit[bi] += 1 }
                    }
                    if !matched.contains(i) { errorLines.append("\(f.name)\tmiss\t\(Int(b.x)),\(Int(b.y)),\(Int(b.width)),\(Int(b.height))\t") }
                }
                for b in fps {
                    errorLines.append("\(f.name)\tfalse-positive\t\(Int(b.x)),\(Int(b.y)),\(Int(b.width)),\(Int(b.height))\t\(String(format: "%.3f", b.score))")
                }
            }
        }
        func pct(_ a: Int, _ b: Int) -> String { String(format: "%.1f%%", b > 0 ? Double(a) * 100 / Double(b) : 0) }
        let n = frames.count
        Output.line("detector: \(detector.info.name) (\(detector.info.parameterCount) parameters), input \(inputSize.0)x\(inputSize.1), iou >= \(jsonNumber(iou, digits: 2))")
        Output.line("frames: \(n)  plates: \(plates)")
        if verify {
            Output.line("verified: detections read as >= \(minLength) characters at confidence >= \(jsonNumber(minConfidence, digits: 2)) (\(unverified) others dropped)")
        }
        for (k, s) in scores.enumerated() {
            let label = k == 0 ? "" : " "
            Output.line("\(label)min score \(jsonNumber(Double(s), digits: 3)): recall \(tp[k])/\(plates) (\(pct(tp[k], plates)))  false positives \(fp[k]) (\(String(format: "%.3f", Double(fp[k]) / Double(n))) per frame)  precision \(tp[k])/\(tp[k] + fp[k]) (\(pct(tp[k], tp[k] + fp[k])))")
        }
        let binText = bins.indices.map { "\(bins[$0].0) \(binHit[$0])/\(binTotal[$0]) (\(pct(binHit[$0], binTotal[$0])))" }
        Output.line("recall by plate width: " + binText.joined(separator: "  "))
        let sorted = times.sorted()
        Output.line("detector time: median \(String(format: "%.1f", sorted[sorted.count / 2])) ms per frame (\(detectorFlags.detectorWidth.map { "width \($0)" } ?? "model width"), 1 thread)")
        if let detections { try Self.write(detectionLines, to: detections) }
        if let errors { try Self.write(errorLines, to: errors) }
    }

    /// Writes `lines` (newline-terminated) to `path`; a failure is a one-line runtime error.
    static func write(_ lines: [String], to path: String) throws {
        do {
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw RuntimeFailure("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}
