import Foundation
import Testing
@testable import PlatetopCore

/// A fresh folder under the temporary directory, removed by `cleanUp()`.
struct StreamFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("platetop-streams-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/lists", withIntermediateDirectories: true)
        try "[[plate]]\nplate = \"ABC1234\"\nlabel = \"stolen\"\n"
            .write(toFile: path + "/lists/watch.toml", atomically: true, encoding: .utf8)
    }

    /// Writes `text` to `name` in the folder and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct StreamConfigTests {
    static let env = ["CAM1_PASSWORD": "hunter2-secret", "HOME": "/home/op"]

    /// Parses `toml` as the file `streams/cam.toml` whose folder is `/srv/streams`.
    func parse(_ toml: String, env: [String: String] = StreamConfigTests.env) throws(StreamConfigError) -> StreamConfig {
        try StreamConfig(toml: toml, source: "streams/cam.toml", baseDirectory: "/srv/streams", defaultName: "cam",
                         environment: env)
    }

    /// The one-line message `toml` fails with (or "no error").
    func failure(_ toml: String, env: [String: String] = StreamConfigTests.env) -> String {
        do {
            _ = try parse(toml, env: env)
            return "no error"
        } catch {
            return error.message
        }
    }

    @Test func fullFileRoundTrip() throws {
        let folder = try StreamFolder()
        defer { folder.cleanUp() }
        let file = try folder.write("gate.toml", """
            name = "Gate 1"
            url = "rtsp://admin:${CAM1_PASSWORD}@camera.local:554/stream1"
            transport = "udp"
            roi = "0.25,0.5,0.5,0.25"
            detector_min_score = 0.4
            detector_width = 640
            model = "../models/latin.safetensors"
            max_fps = 5
            min_confidence = 0.55
            patterns = ["[A-Z]{3}[0-9]{4}", "[A-Z]{2}[0-9]{2}[A-Z]{2}"]
            watchlist = "lists/watch.toml"
            log = "logs/gate.jsonl"
            expected_plates = ["abc 1234", "XY-12-ZZ"]
            description = "Main gate, inbound lane"
            event_window = 2.5
            repeat_memory = 0
            open_timeout = 15
            read_timeout = 7.5
            exit_on_failure = true
            """)
        let c = try StreamConfig.load(path: file, environment: Self.env)
        let parent = URL(fileURLWithPath: folder.path).deletingLastPathComponent().path
        #expect(c == StreamConfig(
            name: "Gate 1", url: "rtsp://admin:hunter2-secret@camera.local:554/stream1", transport: .udp,
            roi: RegionOfInterest(x: 0.25, y: 0.5, width: 0.5, height: 0.25, units: .fractions),
            detector: .init(minScore: 0.4, width: 640), model: parent + "/models/latin.safetensors",
            maxFPS: 5, minConfidence: 0.55,
            patterns: [try PlatePattern("[A-Z]{3}[0-9]{4}"), try PlatePattern("[A-Z]{2}[0-9]{2}[A-Z]{2}")],
            watchlist: folder.path + "/lists/watch.toml", log: folder.path + "/logs/gate.jsonl",
            expectedPlates: ["ABC1234", "XY12ZZ"], summary: "Main gate, inbound lane",
            eventWindow: 2.5, repeatMemory: 0, openTimeout: 15, readTimeout: 7.5, exitOnFailure: true,
            secrets: ["hunter2-secret"], sourceFile: file))
        #expect(c.displayURL == "rtsp://admin:***@camera.local:554/stream1")
        #expect(c.usesDetector)
        #expect(c.isNetworkStream)
        #expect(c.formatRules.apply(to: "ABC12O4").text == "ABC1204")
        #expect(try c.loadWatchlist().match("ABC1234") == "stolen")
        // Printing a config never shows the password.
        #expect(!"\(c)".contains("hunter2"))
        #expect(!String(reflecting: c).contains("hunter2"))
    }

    @Test func demoStyleFileAndDefaults() throws {
        let folder = try StreamFolder()
        defer { folder.cleanUp() }
        let file = try folder.write("demo.toml", """
            # The demo clip.
            name = "demo"
            url = "demo.mp4"
            roi = "640,400,320,120"
            expected_plates = ["ABC1234"]
            description = "Synthetic clip"
            """)
        let c = try StreamConfig.load(path: file, environment: [:])
        #expect(c.name == "demo")
        #expect(c.url == folder.path + "/demo.mp4")
        #expect(c.roi == RegionOfInterest(x: 640, y: 400, width: 320, height: 120, units: .pixels))
        #expect(c.expectedPlates == ["ABC1234"])
        #expect(c.summary == "Synthetic clip")
        #expect(!c.usesDetector)
        #expect(!c.isNetworkStream)
        #expect(c.transport == .tcp && c.detector == nil && c.maxFPS == nil && c.patterns.isEmpty)
        #expect(c.exitOnFailure == false && c.secrets.isEmpty && c.displayURL == c.url)

        // Only a url: name from the file stem, the detector (no roi), device paths kept.
        let bare = try folder.write("side-gate.toml", "url = \"/dev/video2\"\n")
        let b = try StreamConfig.load(path: bare, environment: [:])
        #expect(b.name == "side-gate" && b.url == "/dev/video2" && b.usesDetector && b.roi == nil)
    }

    @Test func relativeAndHomePathsResolve() throws {
        let c = try parse("""
            url = "../clips/./a.mp4"
            model = "~/models/m.safetensors"
            log = "/var/log/platetop.jsonl"
            [detector]
            min_score = 0.3
            """)
        #expect(c.url == "/srv/clips/a.mp4")
        #expect(c.model == "/home/op/models/m.safetensors")
        #expect(c.log == "/var/log/platetop.jsonl")
        #expect(c.detector == .init(minScore: 0.3, width: nil))
        #expect(try parse("url = \"x.mp4\"\ndetector = true\n").detector == .init())
        #expect(try parse("url = \"x.mp4\"\ndetector = { min_score = 0.4, width = 640 }\n").detector
            == .init(minScore: 0.4, width: 640))
        #expect(try parse("url = \"x.mp4\"\nroi = \"1,2,30,40\"\ndetector = false\n").usesDetector == false)
        #expect(try parse("url = \"http://cam/mjpeg\"\nmax_fps = 2.5\n").maxFPS == 2.5)
        #expect(try parse("url = \"file:/data/a.mp4\"\n").url == "file:/data/a.mp4")
    }

    @Test(arguments: [
        // wrong types
        ("url = \"a.mp4\"\nmax_fps = \"fast\"\n", "streams/cam.toml: key 'max_fps': expected a number > 0, got \"fast\""),
        ("url = 5\n", "streams/cam.toml: key 'url': expected a string, got 5"),
        ("url = \"a.mp4\"\nname = [\"a\"]\n", "streams/cam.toml: key 'name': expected a string, got an array"),
        ("url = \"a.mp4\"\nexit_on_failure = \"yes\"\n", "streams/cam.toml: key 'exit_on_failure': expected true or false, got \"yes\""),
        ("url = \"a.mp4\"\ntransport = \"http\"\n", "streams/cam.toml: key 'transport': expected \"tcp\" or \"udp\", got \"http\""),
        ("url = \"a.mp4\"\nroi = 5\n", "streams/cam.toml: key 'roi': expected a string \"x,y,w,h\", got 5"),
        ("url = \"a.mp4\"\npatterns = \"ABC\"\n", "streams/cam.toml: key 'patterns': expected an array of strings, got \"ABC\""),
        ("url = \"a.mp4\"\nexpected_plates = [\"A1\", 2]\n", "streams/cam.toml: key 'expected_plates': entry 2: expected a string, got 2"),
        ("url = \"a.mp4\"\ndetector = \"yes\"\n", "streams/cam.toml: key 'detector': expected true, false or a [detector] table, got \"yes\""),
        // out of range
        ("url = \"a.mp4\"\nmax_fps = 0\n", "streams/cam.toml: key 'max_fps': expected a number > 0, got 0"),
        ("url = \"a.mp4\"\nmax_fps = inf\n", "streams/cam.toml: key 'max_fps': expected a number > 0, got inf"),
        ("url = \"a.mp4\"\nmin_confidence = 1.5\n", "streams/cam.toml: key 'min_confidence': expected a number in 0...1, got 1.5"),
        ("url = \"a.mp4\"\nrepeat_memory = -1\n", "streams/cam.toml: key 'repeat_memory': expected a number >= 0, got -1"),
        ("url = \"a.mp4\"\nevent_window = 0.0\n", "streams/cam.toml: key 'event_window': expected a number > 0, got 0.0"),
        ("url = \"a.mp4\"\nopen_timeout = -2\n", "streams/cam.toml: key 'open_timeout': expected a number > 0, got -2"),
        ("url = \"a.mp4\"\nread_timeout = 0\n", "streams/cam.toml: key 'read_timeout': expected a number > 0, got 0"),
        ("url = \"a.mp4\"\ndetector_width = 32\n", "streams/cam.toml: key 'detector_width': expected an integer >= 64, got 32"),
        ("url = \"a.mp4\"\ndetector_width = 640.0\n", "streams/cam.toml: key 'detector_width': expected an integer >= 64, got 640.0"),
        ("url = \"a.mp4\"\n[detector]\nmin_score = 2\n", "streams/cam.toml: key 'detector.min_score': expected a number in 0...1, got 2"),
        // unknown keys
        ("url = \"a.mp4\"\nmax_fsp = 5\n", "streams/cam.toml: key 'max_fsp': unknown key (did you mean 'max_fps'?)"),
        ("url = \"a.mp4\"\ncolour = \"red\"\n", "streams/cam.toml: key 'colour': unknown key (see streams/README.md for the keys)"),
        ("url = \"a.mp4\"\n[detector]\nscore = 0.4\n", "streams/cam.toml: key 'detector.score': unknown key (allowed: min_score, width)"),
        // missing or empty values
        ("name = \"cam\"\n", "streams/cam.toml: key 'url': missing (every stream file needs a url)"),
        ("url = \"\"\n", "streams/cam.toml: key 'url': must not be empty"),
        ("url = \"a.mp4\"\nname = \" \"\n", "streams/cam.toml: key 'name': must not be empty"),
        ("url = \"a.mp4\"\nexpected_plates = [\"--\"]\n", "streams/cam.toml: key 'expected_plates': entry 1 is empty"),
        // bad values
        ("url = \"a.mp4\"\nroi = \"1,2,3\"\n", "streams/cam.toml: key 'roi': ROI '1,2,3' must be x,y,w,h (four numbers)"),
        ("url = \"a.mp4\"\nroi = \"0,0,0,5\"\n", "streams/cam.toml: key 'roi': ROI '0,0,0,5': width and height must be positive"),
        ("url = \"a.mp4\"\npatterns = [\"[A-Z]{3}\", \"[A-\"]\n", "streams/cam.toml: key 'patterns': entry 2: invalid plate pattern '[A-': not a valid regular expression"),
        ("url = \"ftp://cam/x\"\n", "streams/cam.toml: key 'url': unsupported scheme 'ftp' (expected rtsp, rtsps, http, https, a file path or /dev/videoN)"),
        ("url = \"rtsp://admin:${CAM2_PASSWORD}@cam/live\"\n", "streams/cam.toml: key 'url': environment variable 'CAM2_PASSWORD' is not set"),
        ("url = \"rtsp://admin:${CAM2 PASSWORD}@cam/live\"\n", "streams/cam.toml: key 'url': malformed placeholder '${CAM2 PASSWORD}' (expected ${NAME} with NAME made of letters, digits and '_')"),
        // detector conflicts
        ("url = \"a.mp4\"\ndetector = false\n", "streams/cam.toml: key 'detector': false needs an 'roi' (without the detector, plates are read only in the roi)"),
        ("url = \"a.mp4\"\nroi = \"1,2,30,40\"\ndetector = false\ndetector_width = 320\n", "streams/cam.toml: key 'detector_width': cannot be used with detector = false"),
        ("url = \"a.mp4\"\ndetector_min_score = 0.5\n[detector]\nmin_score = 0.4\n", "streams/cam.toml: key 'detector_min_score': given twice (also as detector.min_score)"),
    ])
    func errorMessages(_ toml: String, _ expected: String) {
        let message = failure(toml)
        #expect(message == expected)
        #expect(!message.contains("\n"))
    }

    @Test func missingWatchlistFileIsResolvedAndReported() {
        // The watchlist path is resolved against the stream file's folder; the reason is Watchlist.load's own.
        var reason = ""
        do { _ = try Watchlist.load(path: "/srv/streams/nope/w.toml") } catch { reason = error.message }
        #expect(reason.hasPrefix("/srv/streams/nope/w.toml: cannot read watchlist: "))
        let message = failure("url = \"a.mp4\"\nwatchlist = \"nope/w.toml\"\n")
        #expect(message == "streams/cam.toml: key 'watchlist': " + reason)
    }

    @Test func tomlSyntaxErrorsCarryTheLine() {
        let message = failure("url = \"a.mp4\"\nname = \"cam\"\nmax_fps = = 5\n")
        // e.g. "streams/cam.toml:3: invalid TOML: Error while parsing value: could not determine value type"
        #expect(message.hasPrefix("streams/cam.toml:3: invalid TOML: "), "\(message)")
        #expect(message.count > "streams/cam.toml:3: invalid TOML: ".count + 5)
        #expect(!message.contains("\n"))
        let unterminated = failure("url = \"a.mp4\"\n\nname = \"cam\n")
        #expect(unterminated.hasPrefix("streams/cam.toml:3: invalid TOML: "), "\(unterminated)")
    }

    @Test func badWatchlistContentAndUnreadableFile() throws {
        let folder = try StreamFolder()
        defer { folder.cleanUp() }
        try folder.write("bad-watch.toml", "[[plate]]\nlabel = \"x\"\n")
        let file = try folder.write("cam.toml", "url = \"a.mp4\"\nwatchlist = \"bad-watch.toml\"\n")
        #expect(throws: StreamConfigError("\(file): key 'watchlist': \(folder.path)/bad-watch.toml: [[plate]] entry 1: needs 'plate' or 'regex'")) {
            try StreamConfig.load(path: file, environment: [:])
        }
        #expect(throws: StreamConfigError("\(folder.path)/missing.toml: cannot read stream file: No such file or directory")) {
            try StreamConfig.load(path: folder.path + "/missing.toml", environment: [:])
        }
    }

    @Test func secretsNeverAppearInErrorsOrDisplay() throws {
        let secret = "hunter2-secret"
        // A type error next to a valid url: the message names the key only.
        let message = failure("url = \"rtsp://admin:${CAM1_PASSWORD}@cam/live\"\nmax_fps = \"x\"\n")
        #expect(message == "streams/cam.toml: key 'max_fps': expected a number > 0, got \"x\"")
        // A secret that breaks URL parsing is still masked through `secrets`.
        let odd = try parse("url = \"rtsp://admin:${P}@cam/live\"\n", env: ["P": "a b/c"])
        #expect(odd.url == "rtsp://admin:a b/c@cam/live")
        #expect(!odd.displayURL.contains("a b/c"))
        #expect(!odd.masked("ffmpeg: rtsp://admin:a b/c@cam/live: 401 Unauthorized").contains("a b/c"))
        let c = try parse("url = \"rtsp://admin:${CAM1_PASSWORD}@cam/live\"\n")
        let ffmpeg = "[rtsp @ 0x5555] method DESCRIBE failed: 401 Unauthorized for rtsp://admin:\(secret)@cam/live (\(secret))"
        #expect(!c.masked(ffmpeg).contains(secret))
        #expect(c.masked(ffmpeg) == "[rtsp @ 0x5555] method DESCRIBE failed: 401 Unauthorized for rtsp://admin:***@cam/live (***)")
    }

    @Test func fromURLDerivesNames() throws {
        let env = ["CAM1_PASSWORD": "pw"]
        let rtsp = try StreamConfig.fromURL("rtsp://admin:${CAM1_PASSWORD}@camera.local:554/stream1", environment: env)
        #expect(rtsp.name == "camera.local")
        #expect(rtsp.url == "rtsp://admin:pw@camera.local:554/stream1")
        #expect(rtsp.displayURL == "rtsp://admin:***@camera.local:554/stream1")
        #expect(rtsp.sourceFile == nil && rtsp.roi == nil && rtsp.transport == .tcp)
        #expect(try StreamConfig.fromURL("clips/demo.mp4", environment: [:]) == StreamConfig(name: "demo", url: "clips/demo.mp4"))
        #expect(try StreamConfig.fromURL("/dev/video0", environment: [:]).name == "video0")
        #expect(try StreamConfig.fromURL("http://[::1]:8080/feed.mjpg", environment: [:]).name == "::1")
        #expect(try StreamConfig.fromURL("rtsps://10.0.0.5/live", name: "door", environment: [:]).name == "door")
        #expect(throws: StreamConfigError("command line: key 'url': environment variable 'NOPE' is not set")) {
            try StreamConfig.fromURL("rtsp://a:${NOPE}@h/", environment: [:])
        }
        #expect(throws: StreamConfigError("command line: key 'url': unsupported scheme 'udp' (expected rtsp, rtsps, http, https, a file path or /dev/videoN)")) {
            try StreamConfig.fromURL("udp://239.0.0.1:1234", environment: [:])
        }
    }

    @Test func overridesWin() throws {
        let base = try parse("""
            url = "a.mp4"
            roi = "1,2,30,40"
            transport = "udp"
            max_fps = 5
            min_confidence = 0.6
            patterns = ["[A-Z]{3}[0-9]{4}"]
            event_window = 3
            exit_on_failure = true
            detector_width = 320
            """)
        // No overrides: unchanged.
        #expect(base.applying(StreamOverrides()) == base)
        #expect(StreamOverrides().isEmpty)
        let roi = try RegionOfInterest(parsing: "0.1,0.2,0.3,0.4")
        let merged = base.applying(StreamOverrides(
            name: "lane2", roi: roi, transport: .tcp, model: "m.safetensors", maxFPS: 10, minConfidence: 0.3,
            patterns: [], watchlist: "w.toml", log: "out.jsonl", eventWindow: 1, repeatMemory: 30, openTimeout: 4,
            readTimeout: 2, exitOnFailure: false, detectorMinScore: 0.7))
        var expected = base
        expected.name = "lane2"; expected.roi = roi; expected.transport = .tcp; expected.model = "m.safetensors"
        expected.maxFPS = 10; expected.minConfidence = 0.3; expected.patterns = []; expected.watchlist = "w.toml"
        expected.log = "out.jsonl"; expected.eventWindow = 1; expected.repeatMemory = 30; expected.openTimeout = 4
        expected.readTimeout = 2; expected.exitOnFailure = false
        expected.detector = .init(minScore: 0.7, width: 320)      // the file's width kept, the flag's score wins
        #expect(merged == expected)
        // Settings not overridden keep the file's values.
        let partial = base.applying(StreamOverrides(maxFPS: 1))
        #expect(partial.maxFPS == 1 && partial.minConfidence == 0.6 && partial.transport == .udp && partial.eventWindow == 3)
        #expect(partial.roi == base.roi && partial.patterns == base.patterns && partial.exitOnFailure)
    }

    /// The example files in streams/ parse (the demo only when it exists).
    @Test func shippedExamplesParse() throws {
        let streams = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("streams").path
        let example = try StreamConfig.load(path: streams + "/camera.example.toml",
                                            environment: ["PLATETOP_CAM_PASSWORD": "not-the-real-one"])
        #expect(example.displayURL.contains(":***@"))
        #expect(!example.displayURL.contains("not-the-real-one"))
        #expect(throws: StreamConfigError("\(streams)/camera.example.toml: key 'url': environment variable 'PLATETOP_CAM_PASSWORD' is not set")) {
            try StreamConfig.load(path: streams + "/camera.example.toml", environment: [:])
        }
        if FileManager.default.fileExists(atPath: streams + "/demo.toml") {
            let demo = try StreamConfig.load(path: streams + "/demo.toml", environment: [:])
            #expect(!demo.url.isEmpty)
        }
    }
}
