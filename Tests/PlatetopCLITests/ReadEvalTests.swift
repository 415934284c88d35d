import Foundation
import Testing

/// `platetop read` output formats and `platetop eval` accounting, on PNG crops made by ffmpeg.
@Suite("read and eval", .enabled(if: CLI.ready, "needs the built platetop and ffmpeg/ffprobe"))
struct ReadEvalTests {
    /// Three different 188x48 PNG crops (testsrc2 at 0, 1 and 2 s) in a fresh folder.
    func makeCrops() throws -> (dir: String, files: [String]) {
        let dir = try CLI.makeTempDir()
        try CLI.tool(CLI.ffmpeg, ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=188x48:rate=1:duration=3",
                                  "-frames:v", "3", dir + "/crop%d.png"])
        let files = (1...3).map { dir + "/crop\($0).png" }
        for f in files { #expect(FileManager.default.fileExists(atPath: f)) }
        return (dir, files)
    }

    /// FILE<TAB>TEXT<TAB>CONFIDENCE lines of `read`, checked for format; returns text by file.
    func readTexts(_ files: [String]) throws -> [String: (text: String, confidence: Double)] {
        let r = try CLI.platetop(["read"] + files + ["--model", CLI.tinyModel])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.isEmpty)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.last == "", "output must end with a newline")
        let body = lines.dropLast()
        #expect(body.count == files.count)
        var out: [String: (String, Double)] = [:]
        for (line, file) in zip(body, files) {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            #expect(cols.count == 3, "line: \(line)")
            guard cols.count == 3 else { continue }
            #expect(cols[0] == file, "argument order")
            #expect(cols[2].range(of: #"^[01]\.\d{4}$"#, options: .regularExpression) != nil, "confidence '\(cols[2])'")
            let c = Double(cols[2]) ?? -1
            #expect((0...1).contains(c))
            #expect(cols[1].allSatisfy { "ABCD".contains($0) }, "text '\(cols[1])' outside the tiny alphabet")
            out[file] = (cols[1], c)
        }
        return out
    }

    @Test("read prints FILE<TAB>TEXT<TAB>CONFIDENCE per image in argument order; --json agrees")
    func readFormats() throws {
        let (dir, files) = try makeCrops()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let order = [files[2], files[0], files[1]]
        let tsv = try readTexts(order)

        let r = try CLI.platetop(["read", "--json"] + order + ["--model", CLI.tinyModel])
        #expect(r.status == 0)
        let objects = CLI.jsonLines(r.stdout)
        #expect(objects.count == 3)
        #expect(r.stdoutLines.count == 3)
        for (obj, file) in zip(objects, order) {
            #expect(obj["file"] as? String == file)
            let text = obj["text"] as? String
            #expect(text == tsv[file]?.text)
            let c = (obj["confidence"] as? NSNumber)?.doubleValue ?? -1
            #expect(abs(c - (tsv[file]?.confidence ?? -2)) <= 0.00005 + 1e-9)
            let chars = obj["characters"] as? [[String: Any]]
            #expect(chars != nil)
            #expect(chars?.map { $0["char"] as? String ?? "?" }.joined() == text)
            for ch in chars ?? [] {
                let cc = (ch["confidence"] as? NSNumber)?.doubleValue ?? -1
                #expect((0...1).contains(cc))
            }
            // No --roi: the whole image is the crop.
            #expect(obj["box"] as? [Int] == [0, 0, 188, 48])
        }

        // With --roi the box is the resolved region.
        let roi = try CLI.platetop(["read", "--json", "--roi", "0.5,0,0.5,1", files[0], "--model", CLI.tinyModel])
        #expect(CLI.jsonLines(roi.stdout).first?["box"] as? [Int] == [94, 0, 94, 48])
    }

    @Test("eval with labels.csv and with file-stem labels: accuracy and mismatch lines")
    func evalAccuracy() throws {
        let (dir, files) = try makeCrops()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let texts = try readTexts(files)
        let t = files.map { texts[$0]?.text ?? "" }

        // labels.csv: two right, one wrong ("ZZZ" can never be read: the tiny alphabet is ABCD).
        try "file,plate\ncrop1.png,\(t[0])\ncrop2.png,ZZZ\ncrop3.png,\(t[2])\n"
            .write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
        let predictions = dir + "/pred.tsv"
        let r = try CLI.platetop(["eval", dir, "--model", CLI.tinyModel, "--predictions", predictions])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutLines.last == "accuracy: 2/3 (66.7%)")
        #expect(r.stdoutLines.dropLast() == ["crop2.png\tZZZ\t\(t[1])"])
        let pred = (try? String(contentsOfFile: predictions, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        #expect(pred.count == 3)
        #expect(pred.first?.hasPrefix("crop1.png\t\(t[0])\t\(t[0])\t") == true)

        // A CSV given directly; an unreadable image counts as a miss with an <error: …> line.
        try "crop1.png,\(t[0])\ncrop3.png,\(t[2])\nghost.png,ABC\ncrop2.png,ZZZ\n"
            .write(toFile: dir + "/other.csv", atomically: true, encoding: .utf8)
        let c = try CLI.platetop(["eval", dir + "/other.csv", "--model", CLI.tinyModel])
        #expect(c.status == 0, "stderr: \(c.stderr)")
        #expect(c.stdoutLines.last == "accuracy: 2/4 (50.0%)")
        #expect(c.stdoutLines.contains { $0.hasPrefix("ghost.png\tABC\t<error: ") })
        #expect(c.stdoutLines.contains("crop2.png\tZZZ\t\(t[1])"))
        #expect(c.stdoutLines.count == 3)

        // File-stem labels (up to the first '-' or '_'): one right, two wrong.
        let stems = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: stems) }
        let names = ["\(t[0])-a.png", "ZZZ_b.png", "YYY-c.png"]
        for (src, name) in zip(files, names) {
            try FileManager.default.copyItem(atPath: src, toPath: stems + "/" + name)
        }
        try "ignored".write(toFile: stems + "/README.txt", atomically: true, encoding: .utf8)
        let s = try CLI.platetop(["eval", stems, "--model", CLI.tinyModel])
        #expect(s.status == 0, "stderr: \(s.stderr)")
        #expect(s.stdoutLines.last == "accuracy: 1/3 (33.3%)")
        #expect(Set(s.stdoutLines.dropLast()) == ["ZZZ_b.png\tZZZ\t\(t[1])", "YYY-c.png\tYYY\t\(t[2])"])
    }
}

extension ReadEvalTests {
    @Test("eval --pattern repairs reads by the plate format before comparing; a bad pattern is a usage error")
    func evalPattern() throws {
        let (dir, files) = try makeCrops()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let texts = try readTexts(files)
        // The tiny model reads only A-D; B and D are confusable with 8 and 0. A label that has a digit
        // wherever the read has B or D, and a pattern that demands exactly that, is reached only by
        // the repair.
        let read = try #require(files.map { texts[$0]?.text ?? "" }.first { $0.contains("B") || $0.contains("D") },
                                "no read with B or D: \(texts)")
        let file = (files.first { texts[$0]?.text == read }! as NSString).lastPathComponent
        let label = String(read.map { $0 == "B" ? "8" : $0 == "D" ? "0" : $0 })
        let pattern = label.map { $0.isNumber ? "[0-9]" : "[A-Z]" }.joined()
        try "file,plate\n\(file),\(label)\n".write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)

        let plain = try CLI.platetop(["eval", dir, "--model", CLI.tinyModel])
        #expect(plain.status == 0, "stderr: \(plain.stderr)")
        #expect(plain.stdoutLines == ["\(file)\t\(label)\t\(read)", "accuracy: 0/1 (0.0%)"])

        let fixed = try CLI.platetop(["eval", dir, "--model", CLI.tinyModel, "--pattern", pattern])
        #expect(fixed.status == 0, "stderr: \(fixed.stderr)")
        #expect(fixed.stdoutLines == ["accuracy: 1/1 (100.0%)"])

        // A pattern the label does not fit leaves the read as it is.
        let other = try CLI.platetop(["eval", dir, "--model", CLI.tinyModel, "--pattern", "[0-9]{12}"])
        #expect(other.stdoutLines.last == "accuracy: 0/1 (0.0%)")

        let bad = try CLI.platetop(["eval", dir, "--model", CLI.tinyModel, "--pattern", "[A-Z"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--pattern '[A-Z'"), "stderr: \(bad.stderr)")
    }
}

/// `platetop eval` end to end on the seed's 1000 test JPEGs (decode → preprocess → LPRNet → CTC) against
/// PyTorch on cv2.imread's pixels (training/seed_reference.py). Needs ../shared and python3-torch.
@Suite("seed model end to end", .enabled(if: CLI.ready && seedDataPresent, "needs ../shared/data/seed-lprnet"))
struct SeedEndToEnd {
    static let data = seedData
    static let reference = "/tmp/platetop-seed"

    @Test("eval prints accuracy: 894/1000 (89.4%) and every string equals PyTorch's")
    func seedEval() throws {
        let files = ["seed.safetensors", "reference.tsv"]
        if !files.allSatisfy({ FileManager.default.fileExists(atPath: Self.reference + "/" + $0) }) {
            guard CLI.pythonImports("torch, cv2") else {
                print("skipping seedEval: /usr/bin/python3 with torch and cv2 unavailable")
                return
            }
            _ = try CLI.tool("/usr/bin/python3", [CLI.packageRoot + "/training/seed_reference.py", Self.data, Self.reference],
                             timeout: 600)
        }
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let predictions = dir + "/predictions.tsv"
        let r = try CLI.platetop(["eval", "--model", Self.reference + "/seed.safetensors", Self.data + "/test",
                                  "--predictions", predictions], timeout: 300)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutLines.last == "accuracy: 894/1000 (89.4%)")
        // reference.tsv: FILE<TAB>PYTORCH<TAB>LABEL; predictions: FILE<TAB>EXPECTED<TAB>GOT<TAB>CONFIDENCE.
        var torch: [String: String] = [:]
        for line in try String(contentsOfFile: Self.reference + "/reference.tsv", encoding: .utf8).split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if c.count >= 2 { torch[c[0]] = c[1] }
        }
        #expect(torch.count == 1000)
        var same = 0, rows = 0, differing: [String] = []
        for line in try String(contentsOfFile: predictions, encoding: .utf8).split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 4 else { continue }
            rows += 1
            let name = (c[0] as NSString).lastPathComponent
            if torch[name] == c[2] { same += 1 } else { differing.append("\(name): \(c[2]) vs \(torch[name] ?? "?")") }
        }
        #expect(rows == 1000)
        #expect(same == 1000, "differ from PyTorch: \(differing.prefix(5))")
    }
}

let seedData = CLI.packageRoot + "/../shared/data/seed-lprnet"
let seedDataPresent = FileManager.default.fileExists(atPath: seedData + "/test")
