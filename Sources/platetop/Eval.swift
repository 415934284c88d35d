import ArgumentParser
import Foundation
import PlatetopCore
import PlatetopVideo

/// `platetop eval DIR`: exact-plate accuracy on a labelled folder.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure exact-plate accuracy on a folder of labelled crops.",
        discussion: """
        Labels come from DIR/labels.csv (file,plate) when present, else from each file name's stem up \
        to the first '-' or '_'. A CSV file may be given instead of a folder (paths relative to it). \
        Prints each mismatch as FILE<TAB>EXPECTED<TAB>GOT and, as its last line, \
        accuracy: CORRECT/TOTAL (PERCENT%). Without --roi, images of at least 320x160 go through the plate \
        detector (when models/detector.safetensors is present) and count as correct when one detected \
        plate reads exactly the label (GOT lists the reads, best detector score first, joined by '|'). \
        With --pattern, each read is first fitted to the plate formats as replay and watch do (the \
        best candidate text a pattern allows, then O/0-style swaps only where the pattern demands), \
        so the accuracy is what the tracker would log.
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Region to read in every image, x,y,w,h in pixels or fractions.")
    var roi: String?

    @Option(help: "Folder that relative paths in a labels CSV refer to (default: the CSV's folder).")
    var images: String?

    @Option(help: "Write every prediction as FILE<TAB>EXPECTED<TAB>GOT<TAB>CONFIDENCE to this file.")
    var predictions: String?

    @Option(name: .customLong("pattern"), help: "Plate format regex (repeatable); reads are fitted to the formats (best candidate text a pattern allows, then O/0-style swaps) before they are compared.")
    var patterns: [String] = []

    @Argument(help: "A folder of images (or a labels CSV).")
    var path: String

    func validate() throws {
        _ = try parseRegion(roi)
        try validatePatterns(patterns)
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp"]

    /// (file path, display name, expected text) for every labelled image.
    static func samples(at path: String, images: String? = nil) throws -> [(path: String, name: String, label: String)] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw RuntimeFailure("cannot open '\(path)': No such file or directory")
        }
        let base: URL
        let csv: URL?
        if isDir.boolValue {
            base = URL(fileURLWithPath: path)
            let candidate = base.appendingPathComponent("labels.csv")
            csv = FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
        } else {
            base = images.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: path).deletingLastPathComponent()
            csv = URL(fileURLWithPath: path)
        }
        if let csv {
            guard let text = try? String(contentsOf: csv, encoding: .utf8) else {
                throw RuntimeFailure("cannot read labels '\(csv.path)'")
            }
            var out: [(String, String, String)] = []
            for (n, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty { continue }
                let parts = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count >= 2, !parts[0].isEmpty else {
                    throw RuntimeFailure("\(csv.path):\(n + 1): expected file,plate")
                }
                if n == 0 && parts[0].lowercased() == "file" { continue }
                let file = parts[0].hasPrefix("/") ? parts[0] : base.appendingPathComponent(parts[0]).path
                out.append((file, parts[0], parts[1]))
            }
            return out
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
        return names.map { name in
            let stem = (name as NSString).deletingPathExtension
            let label = String(stem.prefix { $0 != "-" && $0 != "_" })
            return (base.appendingPathComponent(name).path, name, label)
        }
    }

    func run() throws {
        let region = try parseRegion(roi)
        let rules = try FormatRules(patternStrings: patterns)
        let samples = try Self.samples(at: path, images: images)
        guard !samples.isEmpty else { throw RuntimeFailure("no labelled images in '\(path)'") }
        let batchSize = 16
        let recognizer = try modelOptions.loadRecognizer(maxBatch: batchSize)
        recognizer.formats = rules
        let detector = region == nil ? try modelOptions.detectorFlags.loadForImages() : nil
        var predictionLines: [String] = []
        var correct = 0, total = 0
        var start = 0
        while start < samples.count {
            let chunk = samples[start..<min(start + batchSize, samples.count)]
            start += batchSize
            var crops: [PixelImage] = []
            var kept: [(path: String, name: String, label: String)] = []
            for s in chunk {
                do {
                    var image = try ImageFile.load(path: s.path)
                    if let detector, DetectorFlags.isFullFrame(image) {
                        let found = try detector.locate(in: image)
                        let reads = found.isEmpty ? [] : try recognizer.recognize(found.map(\.crop))
                        total += 1
                        let texts = reads.map { rules.apply(to: $0.text).text }
                        let got = texts.joined(separator: "|")
                        if texts.contains(s.label) {
                            correct += 1
                        } else {
                            Output.line("\(s.name)\t\(s.label)\t\(got)")
                        }
                        let best = zip(reads, texts).first { $0.1 == s.label }?.0 ?? reads.first
                        predictionLines.append("\(s.name)\t\(s.label)\t\(got)\t\((best?.confidence ?? 0).confidenceText)")
                        continue
                    }
                    if let region {
                        image = image.cropped(to: try region.resolve(frameWidth: image.width, frameHeight: image.height))
                    }
                    crops.append(image)
                    kept.append(s)
                } catch {
                    total += 1
                    Output.line("\(s.name)\t\(s.label)\t<error: \(oneLine(String(describing: error)))>")
                }
            }
            guard !crops.isEmpty else { continue }
            let reads = try recognizer.recognize(crops)
            for (s, read) in zip(kept, reads) {
                total += 1
                let text = rules.apply(to: read.text).text
                if text == s.label {
                    correct += 1
                } else {
                    Output.line("\(s.name)\t\(s.label)\t\(text)")
                }
                predictionLines.append("\(s.name)\t\(s.label)\t\(text)\t\(read.confidence.confidenceText)")
            }
        }
        if let predictions {
            do {
                try (predictionLines.joined(separator: "\n") + "\n").write(toFile: predictions, atomically: true, encoding: .utf8)
            } catch {
                throw RuntimeFailure("cannot write '\(predictions)': \(error.localizedDescription)")
            }
        }
        let percent = total > 0 ? Double(correct) * 100 / Double(total) : 0
        Output.line("accuracy: \(correct)/\(total) (\(String(format: "%.1f", percent))%)")
    }
}
