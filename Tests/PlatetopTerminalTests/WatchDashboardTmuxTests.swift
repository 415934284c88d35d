import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `platetop watch` in the real dashboard: stream tabs, and a password that never reaches the screen.
@Suite(.serialized, .enabled(if: TerminalFixtures.canRun, "needs tmux, the built platetop and streams/demo.mp4"))
struct WatchDashboardTmuxTests {
    typealias F = TerminalFixtures

    /// Two stream files in one dashboard: both tabs show, Tab switches the header's source, the
    /// history combines both streams, and q prints one summary for both.
    @Test func twoStreamsAsTabs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-tabs-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["north", "south"] {
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/\(name).mp4", withDestinationPath: F.demoClip)
            let toml = "name = \"gate-\(name)\"\nurl = \"\(name).mp4\"\nroi = \"525,569,230,72\"\n"
            try toml.write(toFile: "\(dir)/\(name).toml", atomically: true, encoding: .utf8)
        }
        let t = try TmuxSession([F.binary!, "watch", "\(dir)/north.toml", "\(dir)/south.toml", "--no-log",
                                 "--model", F.tinyModel], columns: 120, rows: 40)
        defer { t.close() }
        let first = try t.waitFor("both tabs and the first stream's source", timeout: 30) { s in
            s.contains("1 gate-north") && s.contains("2 gate-south") && s.contains("1280x720")
                && (s.components(separatedBy: "\n").first ?? "").contains("north.mp4")
        }
        #expect(!first.contains("RECONNECTING"))
        t.press("Tab")
        try t.waitFor("the header switched to the second stream", timeout: 10) { s in
            (s.components(separatedBy: "\n").first ?? "").contains("south.mp4")
        }
        t.type("1")
        try t.waitFor("the header back on the first stream", timeout: 10) { s in
            (s.components(separatedBy: "\n").first ?? "").contains("north.mp4")
        }
        t.type("q")
        #expect(try t.waitForExit(timeout: 20) == 0)
        let after = t.capture(history: true)
        #expect(after.contains("summary: stream=\"gate-north\""))
        #expect(after.contains("summary: stream=\"gate-south\""))
    }

    /// A password in an RTSP URL is masked in the header and never appears on the screen or in the
    /// exit output.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func passwordMaskedOnScreen() throws {
        let secret = "Tr0ub4dor-pw"
        let port = Int.random(in: 20000...40000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = [F.packageRoot + "/Tests/Support/rtsp_server.py", "--port", String(port),
                            "--user", "viewer", "--password", secret, "--loops", "1", F.demoClip]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        // Wait for READY (bounded).
        let ready = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = out.fileHandleForReading.availableData
            ready.signal()
        }
        guard ready.wait(timeout: .now() + 20) == .success else {
            Issue.record("rtsp_server.py did not start (python3-gi / gst-rtsp-server missing?)")
            return
        }
        let url = "rtsp://viewer:\(secret)@127.0.0.1:\(port)/demo"
        let t = try TmuxSession([F.binary!, "watch", url, "--roi", "525,569,230,72", "--no-log", "--model", F.tinyModel,
                                 "--open-timeout", "30"])
        defer { t.close() }
        // The header masks the password from the start; the resolution shows once the stream is open.
        let early = try t.waitFor("the header with the masked URL", timeout: 20) { s in
            (s.components(separatedBy: "\n").first ?? "").contains("viewer:***@127.0.0.1")
        }
        #expect(!early.contains(secret))
        let screen = try t.waitFor("the live header with the masked URL", timeout: 60) { s in
            (s.components(separatedBy: "\n").first ?? "").contains("viewer:***@127.0.0.1") && s.contains("1280x720")
        }
        #expect(!screen.contains(secret))
        t.type("q")
        #expect(try t.waitForExit(timeout: 20) == 0)
        #expect(!t.capture(history: true).contains(secret))
    }
}
