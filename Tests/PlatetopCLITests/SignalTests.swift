import Foundation
import Testing

/// SIGTERM/SIGINT end a headless replay cleanly; SIGKILL leaves a parseable detection log.
@Suite("signals", .enabled(if: CLI.ready, "needs the built platetop and ffmpeg/ffprobe"))
struct SignalTests {
    static let firstRead: @Sendable (String) -> Bool = { $0.contains("\"type\":\"read\"") }

    func interrupted(by sig: Int32, expectedStatus: Int32) throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clip = try CLI.clip(seconds: 6, blink: true)   // 90 frames at 15 fps, black every other half second
        let log = dir + "/log.jsonl", csv = dir + "/dump.csv"
        let child = try CLI.start(["replay", clip, "--headless", "--pace", "realtime", "--log", log,
                                   "--dump", "csv", "--dump-path", csv, "--model", CLI.tinyModel, "--roi", "40,60,200,80",
                                   "--event-window", "0.3", "--min-length", "1", "--min-confidence", "0"],
                                  in: dir)
        #expect(child.waitForStdout(timeout: 30) { $0.contains("\"type\":\"event\"") }, "no event line before the timeout")
        child.signal(sig)
        let r = child.finish(timeout: 15)
        #expect(!r.timedOut, "did not exit after the signal")
        #expect(!r.signalled, "died of the signal instead of handling it")
        #expect(r.status == expectedStatus, "stderr: \(r.stderr)")
        // The dump is the whole session: one CSV row per logged event, same ids in the same order.
        let rows = ((try? String(contentsOfFile: csv, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(rows.first == "id,stream,plate,raw_text,confidence,sightings,first_pts,last_pts,first_seen,last_seen,watchlist,crop,candidates")
        let logged = CLI.jsonLines((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").compactMap { $0["id"] as? String }
        #expect(!logged.isEmpty)
        #expect(rows.dropFirst().map { String($0.prefix { $0 != "," }) } == logged)
        let summary = ReplayTests.summary(r.stderr)
        #expect(summary != nil, "stderr: \(r.stderr)")
        // Stopped early: a realtime 6 s clip cannot have been decoded to the end.
        #expect((summary?["decoded"] ?? 90) < 90)
        #expect((summary?["decoded"] ?? 0) >= r.reads.count)
        #expect(!r.stderr.contains("platetop: "))
        #expect(FileManager.default.fileExists(atPath: log))
    }

    @Test("SIGTERM: exit 0, summary and dump written")
    func sigterm() throws { try interrupted(by: SIGTERM, expectedStatus: 0) }

    @Test("SIGINT: exit 130, summary and dump written")
    func sigint() throws { try interrupted(by: SIGINT, expectedStatus: 130) }

    @Test("SIGKILL mid-way: every log line is whole JSON and the file ends with a newline")
    func killNine() throws {
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The ROI is black (the tiny model reads nothing) for half of every second, so with a short
        // event window an event closes every second.
        let clip = try CLI.clip(seconds: 6, blink: true)
        let log = dir + "/log.jsonl"
        let child = try CLI.start(["replay", clip, "--headless", "--pace", "realtime", "--log", log,
                                   "--min-confidence", "0", "--min-length", "1", "--event-window", "0.2", "--repeat-memory", "0",
                                   "--model", CLI.tinyModel, "--roi", "40,60,200,80"], in: dir)
        // Kill once an event reached stdout (it is logged before it is printed).
        let sawEvent = child.waitForStdout(timeout: 30) { $0.contains("\"type\":\"event\"") }
        #expect(sawEvent)
        child.signal(SIGKILL)
        let r = child.finish(timeout: 10)
        #expect(r.signalled && r.status == SIGKILL)
        let data = FileManager.default.contents(atPath: log) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        if !text.isEmpty {
            #expect(text.hasSuffix("\n"))
        }
        let lines = text.split(separator: "\n")
        for line in lines {
            let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(obj != nil, "not JSON: \(line)")
            #expect(obj?["text"] is String, "no plate text in \(line)")
        }
        // Every event printed before the kill was already in the log, in the same order.
        #expect(!lines.isEmpty)
        #expect(lines.count >= r.events.count)
        let loggedIDs = lines.compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["id"] as? String
        }
        let printedIDs = r.events.compactMap { $0["id"] as? String }
        #expect(Array(loggedIDs.prefix(printedIDs.count)) == printedIDs)
        // Killed mid-way: not all six events of the 6 s clip.
        #expect(lines.count < 6)
    }
}
