import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real dashboard (`platetop replay streams/demo.mp4`) inside a private tmux server, read back with
/// `tmux capture-pane -p`. Serialized: each test runs one dashboard, and the machine is small.
@Suite(.serialized, .enabled(if: TerminalFixtures.canRun, "needs tmux, the built platetop and streams/demo.mp4"))
struct DashboardTmuxTests {
    typealias F = TerminalFixtures

    /// `platetop replay streams/demo.mp4 --pace realtime --no-log [--hold] [--model M]`.
    static func replay(model: String?, hold: Bool = true, extra: [String] = []) -> [String] {
        var argv = [F.binary!, "replay", "streams/demo.mp4", "--pace", "realtime", "--no-log"]
        if hold { argv.append("--hold") }
        if let model { argv += ["--model", model] }
        return argv + extra
    }

    /// The first screen line (the header).
    static func header(_ screen: String) -> String { screen.components(separatedBy: "\n").first ?? "" }

    /// The decode rate shown in the Stats box (`decode 24.9 fps`), or nil.
    static func decodeFPS(_ screen: String) -> Double? {
        guard let r = screen.range(of: #"decode (\d+\.\d) fps"#, options: .regularExpression) else { return nil }
        return Double(screen[r].dropFirst("decode ".count).dropLast(" fps".count))
    }

    /// The Stats box's `frames decoded/recognized`, or nil.
    static func frames(_ screen: String) -> String? {
        guard let r = screen.range(of: #"frames \d+/\d+"#, options: .regularExpression) else { return nil }
        return String(screen[r].dropFirst("frames ".count))
    }

    /// The threshold on the status line (`thr 0.60`), or nil.
    static func threshold(_ screen: String) -> String? {
        guard let r = screen.range(of: #"thr \d\.\d\d"#, options: .regularExpression) else { return nil }
        return String(screen[r].dropFirst(4))
    }

    /// The ROI on the status line (`roi 525,569,230,72`), or nil.
    static func roi(_ screen: String) -> String? {
        guard let r = screen.range(of: #"roi \d+,\d+,\d+,\d+"#, options: .regularExpression) else { return nil }
        return String(screen[r].dropFirst(4))
    }

    @discardableResult
    /// Waits for the running dashboard: header with the source and 1280x720, a non-zero decode rate.
    static func waitForDashboard(_ t: TmuxSession) throws -> String {
        try t.waitFor("header with demo.mp4 and 1280x720 and decode fps > 0", timeout: 30) { s in
            let h = header(s)
            return h.contains("platetop") && h.contains("demo.mp4") && h.contains("1280x720")
                && (decodeFPS(s) ?? 0) > 0
        }
    }

    // MARK: 1. The whole interactive session

    /// Keys, resizes and quit on the tiny random model (runs without the project's model).
    @Test func interactiveSessionTinyModel() throws {
        try interactiveSession(model: F.tinyModel, realModel: false)
    }

    /// The same with the project's model (default lookup): a demo plate is read and listed in the history.
    @Test(.enabled(if: TerminalFixtures.latinModelPresent, "models/latin.safetensors is absent"))
    func interactiveSessionRealModel() throws {
        try interactiveSession(model: nil, realModel: true)
    }

    func interactiveSession(model: String?, realModel: Bool) throws {
        let t = try TmuxSession(Self.replay(model: model))
        defer { t.close() }
        try Self.waitForDashboard(t)
        // Every check is in the polled condition (a capture can catch a half-painted frame);
        // a timeout fails the test with the last screen.
        var screen = try t.waitFor("LIVE, the preview column, the demo.toml ROI") { s in
            Self.header(s).contains("● LIVE") && s.contains("┌ Preview") && Self.roi(s) == "525,569,230,72"
                && (Self.decodeFPS(s) ?? 0) > 0
        }
        #expect((Self.decodeFPS(screen) ?? 0) > 0)

        // p pauses, p again resumes.
        t.type("p")
        screen = try t.waitFor("paused header") { Self.header($0).contains("‖ PAUSED") && !Self.header($0).contains("LIVE") }
        // While paused the frame counters stand still (same value for 0.5 s)...
        var held: (frames: String, since: Date)?
        try t.waitFor("the frame counter to stop while paused") { s in
            guard let f = Self.frames(s) else { return false }
            if let h = held, h.frames == f { return Date().timeIntervalSince(h.since) >= 0.5 }
            held = (f, Date())
            return false
        }
        t.type("p")
        screen = try t.waitFor("LIVE again") { Self.header($0).contains("● LIVE") && !$0.contains("PAUSED") }
        // ...and move again after resuming.
        try t.waitFor("the frame counter to move after resuming") { s in Self.frames(s).map { $0 != held?.frames } ?? false }

        // ? opens the help overlay, Esc closes it.
        t.type("?")
        screen = try t.waitFor("help overlay") { s in
            s.contains("┌ Keys") && s.contains("Pause / resume") && s.contains("Esc or ? closes")
        }
        t.press("Escape")
        screen = try t.waitFor("the help overlay to close") { s in
            !s.contains("Esc or ? closes") && !s.contains("Pause / resume") && s.contains("┌ Stats")
        }

        // 80x24: no preview column; the Stats box is still there.
        t.resize(columns: 80, rows: 24)
        screen = try t.waitFor("80x24 layout without the preview") { s in
            let lines = s.components(separatedBy: "\n")
            return !s.contains("Preview") && s.contains("┌ Stats") && lines.count >= 24 && lines.count <= 25
                && lines.allSatisfy { $0.count <= 80 } && Self.header(s).contains("platetop")
                && Self.roi(s) == "525,569,230,72"
        }
        #expect(!screen.contains("Preview"))

        // 30x10: the too-small notice only.
        t.resize(columns: 30, rows: 10)
        screen = try t.waitFor("the too-small notice") { s in
            s.contains("Too small 30x10 — need 40x12") && !s.contains("Stats") && !s.contains("platetop")
        }

        // Back to 120x40: the full layout again.
        t.resize(columns: 120, rows: 40)
        screen = try t.waitFor("recovered 120x40 layout") { s in
            s.contains("┌ Preview") && s.contains("┌ Stats") && Self.header(s).contains("1280x720")
                && !s.contains("Too small") && Self.roi(s) == "525,569,230,72"
        }

        // The demo plates (last, so that the keys above act while the clip still plays).
        if realModel {
            let plates = F.expectedPlates
            #expect(plates.count == 6)
            // A history row: `HH:MM:SS PLATE  NN% ...` for one of the demo's plates.
            screen = try t.waitFor("a history row with a demo plate", timeout: 30) { s in
                s.components(separatedBy: "\n").contains { line in
                    line.range(of: #"\d\d:\d\d:\d\d +[A-Z0-9]+ +\d+%"#, options: .regularExpression) != nil
                        && plates.contains { line.contains($0) }
                }
            }
            #expect(plates.contains { screen.contains($0) })
        }

        // q quits with 0; the summary is on the normal screen, and the terminal modes are restored.
        t.type("q")
        let code = try t.waitForExit()
        #expect(code == 0)
        screen = try t.waitFor(text: "[platetop exit 0]", history: true)
        #expect(screen.contains("roi demo gate: 525,569,230,72"))
        if realModel {
            #expect(Self.hasSummaryTable(screen))
            #expect(F.expectedPlates.contains { screen.contains($0) })
        } else {
            #expect(Self.hasSummaryTable(screen) || screen.contains("No plates detected."))
        }
        #expect(!screen.contains("Stats"), "the dashboard is gone from the normal screen")
        Self.expectSaneTerminal(screen)
    }

    /// `stty -a` after the program shows the line discipline back in cooked mode.
    static func expectSaneTerminal(_ screen: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let words = Set(screen.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
        #expect(words.contains("icanon"), "stty -a shows icanon", sourceLocation: sourceLocation)
        #expect(words.contains("echo"), "stty -a shows echo", sourceLocation: sourceLocation)
        #expect(!words.contains("-icanon") && !words.contains("-echo"), sourceLocation: sourceLocation)
    }

    // MARK: 2. Signals

    /// How the dashboard is stopped from outside, and the exit status that must follow.
    enum Stop: String, CaseIterable, Sendable {
        case sigterm, sigint, ctrlC
        var expectedStatus: Int32 { self == .sigterm ? 0 : 130 }
    }

    /// SIGTERM (exit 0), SIGINT (130) sent to the process, and Ctrl-C typed in the terminal (130):
    /// the terminal is restored and the summary printed.
    @Test(arguments: Stop.allCases)
    func stopRestoresTerminal(_ stop: Stop) throws {
        let t = try TmuxSession(Self.replay(model: F.tinyModel))
        defer { t.close() }
        try Self.waitForDashboard(t)
        switch stop {
        case .sigterm: #expect(kill(try t.programPID(), SIGTERM) == 0)
        case .sigint: #expect(kill(try t.programPID(), SIGINT) == 0)
        case .ctrlC: t.press("C-c")
        }
        let code = try t.waitForExit()
        #expect(code == stop.expectedStatus)
        let screen = try t.waitFor(text: "[platetop exit \(stop.expectedStatus)]", history: true)
        #expect(screen.contains("roi demo gate: 525,569,230,72"))
        #expect(Self.hasSummaryTable(screen) || screen.contains("No plates detected."))
        #expect(!screen.contains("Stats"))
        Self.expectSaneTerminal(screen)
    }

    /// A line that is the exit summary's table header.
    static func hasSummaryTable(_ screen: String) -> Bool {
        screen.components(separatedBy: "\n").contains {
            $0.range(of: #"^PLATE +SEEN +READS +BEST +FIRST SEEN +LAST SEEN"#, options: .regularExpression) != nil
        }
    }

    // MARK: 3. 8-colour terminal

    @Test func rendersUnderTermScreen() throws {
        let t = try TmuxSession(Self.replay(model: F.tinyModel), term: "screen")
        defer { t.close() }
        try Self.waitForDashboard(t)
        try t.waitFor("header and boxes under TERM=screen") { s in
            Self.header(s).hasPrefix(" platetop │ streams/demo.mp4 │ 1280x720") && s.contains("┌ Stats")
                && s.contains("┌ Preview") && s.contains("q quit")
        }
        t.type("q")
        #expect(try t.waitForExit() == 0)
        let after = try t.waitFor(text: "[platetop exit 0]", history: true)
        #expect(after.contains("roi demo gate:"))
        #expect(after.contains("[TERM screen]"), "the program ran with TERM=screen")
    }

    // MARK: 4. Too small at start

    @Test func tooSmallAtStartFailsWithOneLine() throws {
        let t = try TmuxSession(Self.replay(model: F.tinyModel), columns: 30, rows: 8)
        defer { t.close() }
        let code = try t.waitForExit(timeout: 20)
        #expect(code != 0)
        try t.waitFor(text: "[platetop exit", history: true)
        // Joined back where the 30-column pane wrapped it.
        let screen = t.capture(history: true, joinWrapped: true)
        let lines = screen.components(separatedBy: "[platetop exit")[0].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(lines.count == 1, "one line before the exit marker: \(lines)")
        let message = lines.first ?? ""
        #expect(message == "platetop: terminal too small: 30x8, need 40x12", "got: \(message)")
        #expect(!screen.contains("Stats"))
        Self.expectSaneTerminal(screen)
    }

    /// `q` still quits while only the too-small notice shows.
    @Test func quitWhileTooSmall() throws {
        let t = try TmuxSession(Self.replay(model: F.tinyModel))
        defer { t.close() }
        try Self.waitForDashboard(t)
        t.resize(columns: 30, rows: 10)
        try t.waitFor(text: "Too small 30x10")
        t.type("q")
        #expect(try t.waitForExit() == 0)
        let screen = t.capture(history: true, joinWrapped: true)
        #expect(screen.contains("roi demo gate: 525,569,230,72"))
        Self.expectSaneTerminal(screen)
    }

    /// Without --hold the dashboard closes by itself at the end of the file (exit 0, summary printed).
    @Test func endsAtEndOfFileWithoutHold() throws {
        let t = try TmuxSession(Self.replay(model: F.tinyModel, hold: false, extra: ["--max-frames", "20"]))
        defer { t.close() }
        #expect(try t.waitForExit(timeout: 20) == 0)
        let screen = t.capture(history: true)
        #expect(screen.contains("roi demo gate: 525,569,230,72"))
        #expect(screen.contains("decoded=20"), "the summary line counts the 20 frames")
        Self.expectSaneTerminal(screen)
    }

    /// With --hold, the end of the file closes the last vehicle's event at once: while the dashboard
    /// still shows ENDED, the history lists all six demo plates and the detection log on disk holds
    /// their six events in order (before, the last one waited for q).
    @Test(.enabled(if: TerminalFixtures.latinModelPresent, "models/latin.safetensors is absent"))
    func heldReplayClosesTheLastEventAtTheEnd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-hold-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logPath = dir + "/events.jsonl"
        let t = try TmuxSession([F.binary!, "replay", "streams/demo.mp4", "--hold", "--no-drop", "--log", logPath])
        defer { t.close() }
        let plates = F.expectedPlates
        #expect(plates.count == 6)
        let screen = try t.waitFor("ENDED with the six demo plates in the history", timeout: 120) { s in
            Self.header(s).contains("ENDED") && s.contains("History 6")
                && plates.allSatisfy { p in s.components(separatedBy: "\n").contains { $0.contains(p) && $0.contains("%") } }
        }
        #expect(screen.contains("History 6"))
        // Still held (no q yet): the log already has every event.
        let logged = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.compactMap { $0["text"] as? String }
        #expect(logged == plates, "log \(logged)")
        #expect(Self.header(t.capture()).contains("ENDED"), "the dashboard is still open")
        t.type("q")
        #expect(try t.waitForExit() == 0)
    }

    // MARK: 5. Theme, threshold, ROI keys

    @Test func themeThresholdAndROIKeys() throws {
        let t = try TmuxSession(Self.replay(model: F.tinyModel))
        defer { t.close() }
        var screen = try Self.waitForDashboard(t)
        let thr0 = try #require(Self.threshold(screen))
        let start = try #require(Double(thr0))

        // t: the status line names the next theme, and the colours change; t again: another theme.
        let colouredBefore = t.capture(escapes: true)
        t.type("t")
        screen = try t.waitFor("theme notice") { Self.themeNotice($0) != nil }
        let first = try #require(Self.themeNotice(screen))
        #expect(first != "default", "the session starts on the default theme")
        try t.waitFor("the colours to change") { _ in
            Self.header(t.capture(escapes: true)) != Self.header(colouredBefore)
        }
        t.type("t")
        screen = try t.waitFor("second theme notice") { s in Self.themeNotice(s).map { $0 != first } ?? false }

        // + twice, then - once: +0.05 net.
        t.type("+")
        screen = try t.waitFor("threshold up") { Self.threshold($0) == Self.two(start + 0.05) }
        t.type("+")
        screen = try t.waitFor("threshold up twice") { Self.threshold($0) == Self.two(start + 0.10) }
        t.type("-")
        screen = try t.waitFor("threshold down") { Self.threshold($0) == Self.two(start + 0.05) }

        // h: one step (1% of 1280 = 13 px) left.
        t.type("h")
        screen = try t.waitFor("ROI moved left") { Self.roi($0) == "512,569,230,72" }
        t.type("q")
        #expect(try t.waitForExit() == 0)
        screen = try t.waitFor(text: "[platetop exit 0]", history: true)
        #expect(screen.contains("roi demo gate: 512,569,230,72"))
        #expect(!screen.contains("roi demo gate: 525,569,230,72"))
    }

    /// The theme named by the `theme: NAME` notice, or nil.
    static func themeNotice(_ screen: String) -> String? {
        guard let r = screen.range(of: #"theme: [A-Za-z0-9_-]+ "#, options: .regularExpression) else { return nil }
        return String(screen[r].dropFirst("theme: ".count).dropLast())
    }

    static func two(_ v: Double) -> String {
        let c = Int((v * 100).rounded())
        return "\(c / 100)." + (c % 100 < 10 ? "0" : "") + "\(c % 100)"
    }
}
