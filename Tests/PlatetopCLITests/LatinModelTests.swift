import Foundation
import Synchronization
import Testing

/// The shipped model on the demo clip: the events are the plates of streams/demo.toml.
/// Skipped until models/latin.safetensors is committed.
@Suite("demo clip with the shipped model", .serialized,
       .enabled(if: CLI.ready && CLI.latinModelPresent, "needs models/latin.safetensors, the built platetop and ffmpeg"))
struct LatinModelTests {
    static let demo = CLI.packageRoot + "/streams/demo.mp4"

    /// `expected_plates` of streams/demo.toml (a one-line TOML string array).
    static func expectedPlates() throws -> [String] {
        let toml = try String(contentsOfFile: CLI.packageRoot + "/streams/demo.toml", encoding: .utf8)
        guard let line = toml.split(separator: "\n").first(where: { $0.hasPrefix("expected_plates") }),
              let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return [] }
        return line[line.index(after: open)..<close].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }

    /// The event texts of a full lossless run (computed once; the default model is used).
    static let fullRun = Mutex<[String]?>(nil)
    static func fullRunTexts() throws -> [String] {
        if let cached = fullRun.withLock({ $0 }) { return cached }
        let r = try CLI.platetop(["replay", demo, "--headless", "--no-drop", "--no-log"], timeout: 170)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(!r.timedOut)
        let texts = r.events.compactMap { $0["text"] as? String }
        fullRun.withLock { $0 = texts }
        return texts
    }

    @Test("replay --no-drop emits one event per expected plate, in order")
    func demoEvents() throws {
        let expected = try Self.expectedPlates()
        #expect(expected.count == 6)
        let texts = try Self.fullRunTexts()
        #expect(texts == expected, "events \(texts), expected \(expected)")
    }

    @Test("SIGKILL during a realtime replay: the log holds a prefix of the full run's events")
    func killPrefix() throws {
        let full = try Self.fullRunTexts()
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/demo.jsonl"
        let child = try CLI.start(["replay", Self.demo, "--headless", "--pace", "realtime", "--log", log], in: dir)
        // Wait for the first event (logged before it is printed), then kill.
        let sawEvent = child.waitForStdout(timeout: 40) { $0.contains("\"type\":\"event\"") }
        child.signal(SIGKILL)
        let r = child.finish(timeout: 10)
        #expect(r.signalled)
        let data = FileManager.default.contents(atPath: log) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        if !text.isEmpty { #expect(text.hasSuffix("\n")) }
        var logged: [String] = []
        for line in text.split(separator: "\n") {
            let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(obj != nil, "not JSON: \(line)")
            if let t = obj?["text"] as? String { logged.append(t) }
        }
        if sawEvent { #expect(!logged.isEmpty) }
        #expect(logged.count <= full.count)
        #expect(Array(full.prefix(logged.count)) == logged, "log \(logged) is not a prefix of \(full)")
    }
}
