import Foundation
import Testing

/// `platetop watch` against a real RTSP server on 127.0.0.1 (Tests/Support/rtsp_server.py,
/// Debian's gst-rtsp-server), a port with nothing listening, and a server that never answers.
@Suite(.serialized, .enabled(if: CLI.ready && RTSPServer.available, "needs ffmpeg, platetop and gst-rtsp-server (python3-gi)"))
struct WatchRTSPTests {
    static let demo = CLI.packageRoot + "/streams/demo.mp4"
    static let demoROI = "525,569,230,72"

    /// Reads from a live RTSP stream carry increasing pts; SIGTERM ends the watch with exit 0.
    @Test func watchProducesReads() throws {
        let server = try RTSPServer(file: Self.demo)
        defer { server.stop() }
        let child = try CLI.start(["watch", server.url, "--roi", Self.demoROI, "--headless", "--no-log", "--model", CLI.tinyModel])
        #expect(child.waitForStdout(timeout: 60) { $0.components(separatedBy: "\"type\":\"read\"").count > 10 })
        child.signal(SIGTERM)
        let r = child.finish(timeout: 15)
        #expect(r.status == 0)
        let pts = r.reads.compactMap { $0["pts"] as? Double }
        #expect(pts.count >= 10)
        #expect(zip(pts, pts.dropFirst()).allSatisfy { $0 < $1 })
        #expect(r.reads.allSatisfy { ($0["roi"] as? [Int]) == [525, 569, 230, 72] })
    }

    /// `--transport udp` receives the same stream over RTP/UDP on loopback.
    @Test func watchOverUDP() throws {
        let server = try RTSPServer(file: Self.demo)
        defer { server.stop() }
        let child = try CLI.start(["watch", server.url, "--transport", "udp", "--roi", Self.demoROI, "--headless",
                                   "--no-log", "--model", CLI.tinyModel])
        #expect(child.waitForStdout(timeout: 60) { $0.components(separatedBy: "\"type\":\"read\"").count > 10 })
        child.signal(SIGTERM)
        let r = child.finish(timeout: 15)
        #expect(r.status == 0)
        let pts = r.reads.compactMap { $0["pts"] as? Double }
        #expect(pts.count >= 10 && zip(pts, pts.dropFirst()).allSatisfy { $0 < $1 })
    }

    /// With the shipped model, the live stream yields the demo's plates.
    @Test(.enabled(if: CLI.latinModelPresent, "models/latin.safetensors not present"))
    func watchReadsDemoPlates() throws {
        let expected = try LatinModelTests.expectedPlates()
        let server = try RTSPServer(file: Self.demo)
        defer { server.stop() }
        let child = try CLI.start(["watch", server.url, "--roi", Self.demoROI, "--headless", "--no-log"])
        // The clip is ~16 s at real time; wait until three distinct demo plates closed as events.
        let found = child.waitForStdout(timeout: 90) { out in
            let texts = Set(CLI.jsonLines(out).filter { $0["type"] as? String == "event" }.compactMap { $0["text"] as? String })
            return texts.intersection(expected).count >= 3
        }
        child.signal(SIGTERM)
        let r = child.finish(timeout: 15)
        #expect(found, "events: \(r.events.compactMap { $0["text"] as? String })")
        #expect(r.status == 0)
    }

    /// The server dies mid-stream and comes back: platetop reports the loss, reconnects within
    /// 5 s of the server being back (backoff capped at 3 s, plus one open), keeps reading with
    /// monotonic pts, and never exits by itself.
    @Test func reconnectsAfterServerRestart() throws {
        let port = RTSPServer.freePort()
        var server = try RTSPServer(file: Self.demo, port: port)
        let child = try CLI.start(["watch", server.url, "--roi", Self.demoROI, "--headless", "--no-log",
                                   "--model", CLI.tinyModel, "--read-timeout", "5", "--open-timeout", "4"])
        defer { child.signal(SIGKILL) }
        #expect(child.waitForStdout(timeout: 60) { $0.components(separatedBy: "\"type\":\"read\"").count > 5 })
        server.stop()
        #expect(child.waitForStderr(timeout: 15) { $0.contains("reconnecting") })
        let readsBefore = child.stdoutSoFar.components(separatedBy: "\"type\":\"read\"").count
        sleep(2)
        #expect(child.process.isRunning, "watch must keep running while the server is down")
        server = try RTSPServer(file: Self.demo, port: port)
        defer { server.stop() }
        // "Back" is when the server answers a DESCRIBE, not when it listens, so the clock measures
        // platetop's backoff (at most 3 s) plus one open, not the server's start-up.
        #expect(server.waitUntilAnswering(timeout: 30), "the restarted server never answered DESCRIBE")
        let back = Date()
        // Attempts that outlived the server's return (and a reconnect > 10 s late, once recorded
        // here as a known issue) were the fixture's: its concat pipeline sometimes failed to preroll
        // and held every DESCRIBE for gst-rtsp-server's 20 s. rtsp_server.py no longer uses concat.
        let reconnected = child.waitForStderr(timeout: 10) { $0.contains("connected") }  // printed once a reconnect succeeds
        #expect(reconnected, "stderr: \(child.stderrSoFar.suffix(1500))")
        #expect(Date().timeIntervalSince(back) < 5,
                "reconnected \(Date().timeIntervalSince(back)) s after the server came back; stderr: \(child.stderrSoFar.suffix(1500))")
        #expect(child.waitForStdout(timeout: 60) { $0.components(separatedBy: "\"type\":\"read\"").count > readsBefore + 5 })
        #expect(child.process.isRunning)
        child.signal(SIGTERM)
        let r = child.finish(timeout: 15)
        #expect(r.status == 0)
        let pts = r.reads.compactMap { $0["pts"] as? Double }
        #expect(zip(pts, pts.dropFirst()).allSatisfy { $0 < $1 }, "pts must stay monotonic across the reconnect")
    }

    /// Nothing listening: the headless loop keeps retrying with a clear status; with
    /// --exit-on-failure it exits 1 with one line after the timeout.
    @Test func nothingListening() throws {
        let url = "rtsp://127.0.0.1:\(RTSPServer.freePort())/demo"
        let child = try CLI.start(["watch", url, "--roi", Self.demoROI, "--headless", "--no-log",
                                   "--model", CLI.tinyModel, "--open-timeout", "1"])
        #expect(child.waitForStderr(timeout: 10) { $0.components(separatedBy: "reconnecting").count >= 3 })
        #expect(child.process.isRunning)
        child.signal(SIGTERM)
        let r = child.finish(timeout: 10)
        #expect(r.status == 0)
        #expect(r.stderr.contains("Connection refused"))

        let t0 = Date()
        let fail = try CLI.platetop(["watch", url, "--roi", Self.demoROI, "--headless", "--no-log", "--model", CLI.tinyModel,
                                     "--open-timeout", "1", "--exit-on-failure"], timeout: 20)
        #expect(fail.status == 1)
        #expect(Date().timeIntervalSince(t0) < 10)
        #expect(fail.stderrLines.count == 1 && fail.stderr.hasPrefix("platetop: ") && fail.stderr.contains("Connection refused"), "\(fail.stderr)")
    }

    /// A server that accepts the TCP connection and never answers: bounded waiting, clear status.
    @Test func silentServer() throws {
        let silent = try SilentServer()
        defer { silent.stop() }
        let url = "rtsp://127.0.0.1:\(silent.port)/demo"
        let child = try CLI.start(["watch", url, "--roi", Self.demoROI, "--headless", "--no-log",
                                   "--model", CLI.tinyModel, "--open-timeout", "1"])
        #expect(child.waitForStderr(timeout: 12) { $0.components(separatedBy: "reconnecting").count >= 2 })
        #expect(child.process.isRunning)
        child.signal(SIGTERM)
        let r = child.finish(timeout: 10)
        #expect(r.status == 0)
        #expect(r.stderr.contains("timed out"), "\(r.stderr)")

        let t0 = Date()
        let fail = try CLI.platetop(["watch", url, "--roi", Self.demoROI, "--headless", "--no-log", "--model", CLI.tinyModel,
                                     "--open-timeout", "1", "--exit-on-failure"], timeout: 20)
        #expect(fail.status == 1)
        #expect(Date().timeIntervalSince(t0) < 8)
        #expect(fail.stderrLines.count == 1 && fail.stderr.contains("timed out"), "\(fail.stderr)")
    }

    /// A password in the URL never reaches stdout, stderr or the detection log.
    @Test func passwordNeverShown() throws {
        let secret = "s3cr3t-Pw"
        let server = try RTSPServer(file: Self.demo, user: "viewer", password: secret)
        defer { server.stop() }
        let dir = try CLI.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/watch.jsonl"
        let url = "rtsp://viewer:\(secret)@127.0.0.1:\(server.port)/demo"
        let child = try CLI.start(["watch", url, "--roi", Self.demoROI, "--headless", "--log", log,
                                   "--model", CLI.tinyModel, "--min-length", "1", "--min-confidence", "0"])
        #expect(child.waitForStdout(timeout: 60) { $0.contains("\"type\":\"read\"") })
        child.signal(SIGTERM)
        let r = child.finish(timeout: 15)
        #expect(r.status == 0)
        // A wrong password is reported with the user name but not the password.
        let wrong = try CLI.platetop(["watch", "rtsp://viewer:nope-\(secret)@127.0.0.1:\(server.port)/demo", "--roi", Self.demoROI,
                                      "--headless", "--no-log", "--model", CLI.tinyModel, "--exit-on-failure",
                                      "--open-timeout", "3"], timeout: 20)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("viewer:***@"), "\(wrong.stderr)")
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        for text in [r.stdout, r.stderr, logText, wrong.stdout, wrong.stderr] {
            #expect(!text.contains(secret))
        }
        #expect(r.stderr.contains("viewer:***@") || !r.stderr.contains("viewer:"))
    }
}

/// Tests/Support/rtsp_server.py serving a file at rtsp://127.0.0.1:PORT/demo.
final class RTSPServer {
    static let python = "/usr/bin/python3"
    static let script = CLI.packageRoot + "/Tests/Support/rtsp_server.py"

    /// Whether python3-gi and gst-rtsp-server are installed.
    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let r = try? CLI.Child(python, ["-c", "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"]).finish(timeout: 30)
        return r?.status == 0
    }()

    let port: Int
    let child: CLI.Child
    var url: String { "rtsp://127.0.0.1:\(port)/demo" }

    init(file: String, port: Int = RTSPServer.freePort(), user: String? = nil, password: String? = nil) throws {
        self.port = port
        var args = [Self.script, "--port", String(port), "--loops", "2"]
        if let user { args += ["--user", user, "--password", password ?? ""] }
        child = try CLI.Child(Self.python, args + [file])
        guard child.waitForStdout(timeout: 20, { $0.contains("READY") }) else {
            let r = child.finish(timeout: 2)
            throw CLI.Missing("rtsp_server.py did not start: \(r.stderr)")
        }
    }

    /// Whether the server answers `DESCRIBE` of its stream with 200 within `timeout` seconds
    /// (retrying while it does not yet listen): the media can be prepared, not just the port open.
    func waitUntilAnswering(timeout: Double) -> Bool {
        let code = """
        import socket, sys, time
        end = time.time() + \(timeout)
        req = b"DESCRIBE \(url) RTSP/1.0\\r\\nCSeq: 1\\r\\nAccept: application/sdp\\r\\n\\r\\n"
        while time.time() < end:
            try:
                s = socket.create_connection(("127.0.0.1", \(port)), timeout=2)
                s.settimeout(max(0.5, end - time.time()))
                s.sendall(req)
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                s.close()
                if data.startswith(b"RTSP/1.0 200"):
                    sys.exit(0)
            except OSError:
                pass
            time.sleep(0.2)
        sys.exit(1)
        """
        guard let probe = try? CLI.Child(Self.python, ["-c", code]) else { return false }
        return probe.finish(timeout: timeout + 5).status == 0
    }

    /// Stops the server with SIGTERM, as a user would; it must exit (and remove its looped copy) at once.
    func stop() {
        if child.process.isRunning {
            child.signal(SIGTERM)
            #expect(!child.finish(timeout: 5).timedOut, "rtsp_server.py did not stop on SIGTERM")
        }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// A TCP server on 127.0.0.1 that accepts connections and never sends a byte.
final class SilentServer {
    let child: CLI.Child
    let port: Int

    init() throws {
        port = RTSPServer.freePort()
        let code = """
        import socket, time
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", \(port))); s.listen(16); print("READY", flush=True)
        held = []
        end = time.time() + 120
        s.settimeout(0.5)
        while time.time() < end:
            try:
                held.append(s.accept()[0])
            except socket.timeout:
                pass
        """
        child = try CLI.Child(RTSPServer.python, ["-c", code])
        guard child.waitForStdout(timeout: 10, { $0.contains("READY") }) else { throw CLI.Missing("silent server did not start") }
    }

    func stop() {
        child.signal(SIGTERM)
        _ = child.finish(timeout: 5)
    }
}
