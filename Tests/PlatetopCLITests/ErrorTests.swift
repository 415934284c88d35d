import Foundation
import PlatetopCore
import Testing

/// Bad input ends with exactly one `platetop: …` line on stderr and a non-zero exit, never a crash.
@Suite("bad input", .enabled(if: CLI.ready, "needs the built platetop and ffmpeg/ffprobe"))
struct ErrorTests {
    /// Asserts the one-line failure contract and returns that line.
    @discardableResult
    func expectOneLineFailure(_ r: CLI.Result, status: Int32 = 1, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        #expect(!r.signalled, "crashed with signal \(r.status)", sourceLocation: sourceLocation)
        #expect(!r.timedOut, sourceLocation: sourceLocation)
        #expect(r.status == status, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let line = r.stderrLines.first ?? ""
        #expect(line.hasPrefix("platetop: "), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!line.contains("RuntimeFailure("), "type wrapper leaked: \(line)", sourceLocation: sourceLocation)
        #expect(r.reads.isEmpty, sourceLocation: sourceLocation)
        return line
    }

    func replay(_ file: String, roi: String = "10,10,100,40", model: String = CLI.tinyModel) throws -> CLI.Result {
        try CLI.platetop(["replay", file, "--headless", "--no-log", "--model", model, "--roi", roi], timeout: 60)
    }

    @Test("replay of a missing file")
    func missingFile() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let line = expectOneLineFailure(try replay(dir + "/nope.mp4"))
        #expect(line.contains("nope.mp4"))
        #expect(line.contains("No such file"))
    }

    @Test("replay of a text file named .mp4 reports FFmpeg's 'Invalid data found'")
    func textFile() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/notes.mp4"
        try "these are not the frames you are looking for\n".write(toFile: path, atomically: true, encoding: .utf8)
        let line = expectOneLineFailure(try replay(path))
        #expect(line.contains("Invalid data found"))
        #expect(line.contains("notes.mp4"))
    }

    @Test("replay of a truncated mp4 (first 2 KB)")
    func truncatedVideo() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let full = try Data(contentsOf: URL(fileURLWithPath: try CLI.clip()))
        let path = dir + "/cut.mp4"
        try full.prefix(2048).write(to: URL(fileURLWithPath: path))
        let line = expectOneLineFailure(try replay(path))
        #expect(line.contains("cut.mp4"))
    }

    @Test("an mp4 cut mid-way (index first): the frames before the cut are read, then one error line")
    func cutMidway() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let faststart = dir + "/fs.mp4"
        try CLI.tool(CLI.ffmpeg, ["-nostdin", "-v", "error", "-y", "-i", try CLI.clip(), "-c", "copy", "-movflags", "+faststart", faststart])
        let full = try Data(contentsOf: URL(fileURLWithPath: faststart))
        let cut = dir + "/cut.mp4"
        try full.prefix(full.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
        let r = try CLI.platetop(["replay", cut, "--headless", "--no-drop", "--no-log", "--model", CLI.tinyModel,
                                  "--roi", "40,60,200,80"], timeout: 60)
        #expect(!r.signalled && !r.timedOut)
        let reads = r.reads
        #expect(reads.count > 0 && reads.count < 45, "reads: \(reads.count)")
        #expect(reads.map { $0["frame"] as? Int } == (0..<reads.count).map { Optional($0) })
        if r.status != 0 {
            #expect(r.status == 1)
            #expect(r.stderrLines.last?.hasPrefix("platetop: ") == true, "stderr: \(r.stderr)")
        }
    }

    @Test("an ROI outside the frame names the ROI and the frame size")
    func roiOutside() throws {
        let line = expectOneLineFailure(try replay(try CLI.clip(), roi: "300,200,100,100"))
        #expect(line.contains("300,200,100,100"))
        #expect(line.contains("320x240"))
    }

    @Test("replay of a plain clip without --roi (no stream file, no detector)")
    func noROI() throws {
        let r = try CLI.platetop(["replay", try CLI.clip(), "--headless", "--no-log", "--no-detector", "--model", CLI.tinyModel])
        let line = expectOneLineFailure(r)
        #expect(line.contains("--roi"))
    }

    @Test("a bad --theme fails a headless run too, before any frame is read; a good one is accepted")
    func badThemeHeadless() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clip = try CLI.clip()
        func run(_ theme: String) throws -> CLI.Result {
            try CLI.platetop(["replay", clip, "--headless", "--no-log", "--model", CLI.tinyModel,
                              "--roi", "10,10,100,40", "--theme", theme], timeout: 60)
        }
        let unknown = expectOneLineFailure(try run("no-such-theme"))
        #expect(unknown.contains("no-such-theme: no such theme"))
        let broken = dir + "/broken.toml"
        try "name = \"broken\"\n[colors\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let line = expectOneLineFailure(try run(broken))
        #expect(line.contains("broken.toml"))
        let good = try run("mono")
        #expect(good.status == 0, "stderr: \(good.stderr)")
        #expect(!good.reads.isEmpty)
    }

    @Test("a malformed ROI is a usage error (64)")
    func malformedROI() throws {
        let r = try replay(try CLI.clip(), roi: "1,2,3")
        #expect(!r.signalled)
        #expect(r.status == 64)
        #expect(r.stderr.contains("ROI '1,2,3' must be x,y,w,h"))
        #expect(r.stdout.isEmpty)
    }

    @Test("missing, corrupt, truncated and mislabelled model files")
    func badModels() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clip = try CLI.clip()

        let missing = expectOneLineFailure(try replay(clip, model: dir + "/none.safetensors"))
        #expect(missing.contains("none.safetensors") && missing.contains("No such file"))

        let corrupt = dir + "/corrupt.safetensors"
        var rng = CLI.RNG(state: 99)
        try Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: URL(fileURLWithPath: corrupt))
        let c = expectOneLineFailure(try replay(clip, model: corrupt))
        #expect(c.contains("cannot load model") && c.contains("corrupt.safetensors"))

        let valid = try Data(contentsOf: URL(fileURLWithPath: CLI.tinyModel))
        let truncated = dir + "/truncated.safetensors"
        try valid.prefix(valid.count / 2).write(to: URL(fileURLWithPath: truncated))
        let t = expectOneLineFailure(try replay(clip, model: truncated))
        #expect(t.contains("cannot load model") && t.contains("truncated.safetensors"))

        let noAlphabet = dir + "/noalphabet.safetensors"
        var meta = CLI.tinyMetadata()
        meta["platetop.alphabet"] = nil
        let bytes = SafeTensorsFile.serialize(CLI.tinyTensors(), metadata: meta)
        try Data(bytes).write(to: URL(fileURLWithPath: noAlphabet))
        let a = expectOneLineFailure(try replay(clip, model: noAlphabet))
        #expect(a.contains("platetop.alphabet"))

        // `read` goes through the same loader.
        let dummy = dir + "/x.png"
        try Data([0]).write(to: URL(fileURLWithPath: dummy))
        let rd = expectOneLineFailure(try CLI.platetop(["read", dummy, "--model", truncated]))
        #expect(rd.contains("truncated.safetensors"))
    }

    @Test("read of a missing image, eval of a missing folder")
    func missingReadEvalInputs() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let read = try CLI.platetop(["read", dir + "/ghost.png", "--model", CLI.tinyModel])
        let r = expectOneLineFailure(read)
        #expect(r.contains("ghost.png"))
        #expect(read.stdout.isEmpty)
        let e = expectOneLineFailure(try CLI.platetop(["eval", dir + "/nofolder", "--model", CLI.tinyModel]))
        #expect(e.contains("nofolder") && e.contains("No such file"))
    }
}
