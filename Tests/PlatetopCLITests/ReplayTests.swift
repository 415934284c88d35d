import Foundation
import Testing

/// `platetop replay --headless` on generated clips with a tiny random model: frame accounting,
/// timestamps, ROI resolution and the summary line.
@Suite("replay --headless", .enabled(if: CLI.ready, "needs the built platetop and ffmpeg/ffprobe"))
struct ReplayTests {
    /// Parses `summary: stream="c" decoded=N recognized=N dropped=N …` into its counters.
    static func summary(_ stderr: String) -> [String: Int]? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.hasPrefix("summary: ") }) else { return nil }
        var out: [String: Int] = [:]
        for field in line.split(separator: " ") {
            let kv = field.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let v = Int(kv[1]) { out[String(kv[0])] = v }
        }
        return out
    }

    func replay(_ clip: String, _ extra: [String]) throws -> CLI.Result {
        try CLI.platetop(["replay", clip, "--headless", "--no-drop", "--no-log", "--model", CLI.tinyModel] + extra, timeout: 90)
    }

    func checkFullRun(roi: String, expectedBox: [Int]) throws {
        let clip = try CLI.clip()
        let times = try CLI.probeFrameTimes(clip)
        #expect(times.count == 45)
        let r = try replay(clip, ["--roi", roi])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(!r.signalled && !r.timedOut)
        let reads = r.reads
        #expect(reads.count == times.count)
        for (i, read) in reads.enumerated() {
            #expect(read["frame"] as? Int == i)
            let pts = (read["pts"] as? NSNumber)?.doubleValue ?? .nan
            if i < times.count { #expect(abs(pts - times[i]) <= 1e-6, "frame \(i): pts \(pts) vs ffprobe \(times[i])") }
            #expect((read["roi"] as? [Int]) == expectedBox)
            #expect(read["stream"] as? String == "testsrc2-320x240-15-3.0")
            let confidence = (read["confidence"] as? NSNumber)?.doubleValue ?? -1
            #expect((0...1).contains(confidence))
            #expect(read["text"] is String)
        }
        let s = Self.summary(r.stderr)
        #expect(s?["decoded"] == times.count)
        #expect(s?["recognized"] == times.count)
        #expect(s?["dropped"] == 0)
        #expect(s?["skipped"] == 0)
        // No error lines on a clean run.
        #expect(!r.stderr.contains("platetop: "))
    }

    @Test("pixel ROI: one read per decoded frame with ffprobe's timestamps")
    func pixelROI() throws {
        try checkFullRun(roi: "40,60,200,80", expectedBox: [40, 60, 200, 80])
    }

    @Test("fraction ROI resolves to the rounded pixel box")
    func fractionROI() throws {
        // 0.1*320=32, 0.3*240=72, (0.1+0.55)*320=208 → w 176, (0.3+0.2)*240=120 → h 48.
        try checkFullRun(roi: "0.1,0.3,0.55,0.2", expectedBox: [32, 72, 176, 48])
    }

    @Test("--start 2 begins within one frame of 2 s and reads every later frame")
    func startOffset() throws {
        let clip = try CLI.clip()
        let times = try CLI.probeFrameTimes(clip)
        let r = try replay(clip, ["--roi", "40,60,200,80", "--start", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let reads = r.reads
        let pts = reads.compactMap { ($0["pts"] as? NSNumber)?.doubleValue }
        #expect(pts.count == reads.count)
        guard let first = pts.first else {
            Issue.record("no reads after --start 2")
            return
        }
        #expect(abs(first - 2.0) <= 1.0 / 15 + 1e-6, "first pts \(first)")
        // Exactly the frames from the first one read onwards, at ffprobe's timestamps.
        let expected = times.filter { $0 >= first - 1e-6 }
        #expect(pts.count == expected.count)
        for (a, b) in zip(pts, expected) { #expect(abs(a - b) <= 1e-6) }
        #expect(reads.first?["frame"] as? Int == 0)
        #expect(Self.summary(r.stderr)?["decoded"] == expected.count)
    }

    @Test("--max-frames 10 reads exactly the first 10 frames")
    func maxFrames() throws {
        let clip = try CLI.clip()
        let times = try CLI.probeFrameTimes(clip)
        let r = try replay(clip, ["--roi", "40,60,200,80", "--max-frames", "10"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let reads = r.reads
        #expect(reads.count == 10)
        #expect(reads.map { $0["frame"] as? Int } == (0..<10).map { Optional($0) })
        for (read, t) in zip(reads, times.prefix(10)) {
            #expect(abs(((read["pts"] as? NSNumber)?.doubleValue ?? .nan) - t) <= 1e-6)
        }
        let s = Self.summary(r.stderr)
        #expect(s?["decoded"] == 10)
        #expect(s?["recognized"] == 10)
    }

    @Test("events: one per visible stretch, printed and logged identically")
    func eventsAreLogged() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clip = try CLI.clip(seconds: 6, blink: true)   // ROI content visible in the second half of each second
        let log = dir + "/events.jsonl"
        let r = try CLI.platetop(["replay", clip, "--headless", "--no-drop", "--log", log, "--model", CLI.tinyModel,
                                  "--roi", "40,60,200,80", "--min-confidence", "0", "--min-length", "1",
                                  "--event-window", "0.2", "--repeat-memory", "0"], timeout: 90)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.reads.count == 90)
        // Black half-seconds read as nothing.
        let empty = r.reads.filter { ($0["text"] as? String) == "" }.count
        #expect(empty > 30 && empty < 60, "empty reads: \(empty)")
        let events = r.events
        #expect(events.count == 6)
        #expect(Self.summary(r.stderr)?["events"] == 6)
        let logLines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        let logged = logLines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(logged.count == 6)
        #expect(logged.map { $0["id"] as? String } == events.map { $0["id"] as? String })
        #expect(Set(logged.compactMap { $0["id"] as? String }).count == 6, "event ids must be unique")
        for e in events {
            let text = e["text"] as? String ?? ""
            #expect(!text.isEmpty && text.allSatisfy { $0 == "B" }, "event text \(text)")
        }
    }
}
