import Foundation
import PlatetopTestSupport
import PlatetopCore
import Synchronization
import Testing

/// Runs the built `platetop` binary and makes fixtures (clips, crops, a tiny random model).
enum CLI {
    /// The package root, from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `platetop` executable built next to the test bundle.
    static let binary: String? = {
        var dirs: [URL] = []
        dirs.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        dirs.append(Bundle.main.bundleURL)
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        for config in ["debug", "release"] {
            dirs.append(URL(fileURLWithPath: packageRoot).appendingPathComponent(".build/\(config)"))
        }
        for d in dirs {
            let p = d.appendingPathComponent("platetop").path
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue,
               FileManager.default.isExecutableFile(atPath: p) {
                return p
            }
        }
        return nil
    }()

    static let ffmpeg = "/usr/bin/ffmpeg"
    static let ffprobe = "/usr/bin/ffprobe"
    static var ffmpegPresent: Bool {
        FileManager.default.isExecutableFile(atPath: ffmpeg) && FileManager.default.isExecutableFile(atPath: ffprobe)
    }
    static var ready: Bool { binary != nil && ffmpegPresent }

    static let latinModel = packageRoot + "/models/latin.safetensors"
    static var latinModelPresent: Bool { FileManager.default.fileExists(atPath: latinModel) }

    /// The result of one finished child process.
    struct Result {
        var status: Int32
        var signalled: Bool
        var timedOut: Bool
        var stdout: String
        var stderr: String
        var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var reads: [[String: Any]] { CLI.jsonLines(stdout).filter { $0["type"] as? String == "read" } }
        var events: [[String: Any]] { CLI.jsonLines(stdout).filter { $0["type"] as? String == "event" } }
    }

    /// A running child with its output in temp files (no pipes, so no deadlocks), started as a
    /// ``CleanProcess`` so that it gets signals (SIGTERM, SIGINT) as when started from a shell.
    final class Child {
        let process: CleanProcess
        let outPath: String
        let errPath: String

        init(_ executable: String, _ arguments: [String], in directory: String? = nil) throws {
            let tmp = FileManager.default.temporaryDirectory
            outPath = tmp.appendingPathComponent("platetop-cli-\(UUID().uuidString).out").path
            errPath = tmp.appendingPathComponent("platetop-cli-\(UUID().uuidString).err").path
            var env = ProcessInfo.processInfo.environment
            env["TERM"] = "dumb"
            process = try CleanProcess([executable] + arguments, environment: env, directory: directory ?? tmp.path,
                                       stdout: outPath, stderr: errPath)
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }

        var stdoutSoFar: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

        /// Polls until `condition` holds on stdout or the child exits; false on timeout or exit.
        func waitForStdout(timeout: Double, _ condition: (String) -> Bool) -> Bool {
            let deadline = Date(timeIntervalSinceNow: timeout)
            while Date() < deadline {
                if condition(stdoutSoFar) { return true }
                if !process.isRunning { return condition(stdoutSoFar) }
                usleep(20_000)
            }
            return false
        }

        var stderrSoFar: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

        /// Polls until `condition` holds on stderr; false on timeout (or exit without it).
        func waitForStderr(timeout: Double, _ condition: (String) -> Bool) -> Bool {
            let deadline = Date(timeIntervalSinceNow: timeout)
            while Date() < deadline {
                if condition(stderrSoFar) { return true }
                if !process.isRunning { return condition(stderrSoFar) }
                usleep(20_000)
            }
            return false
        }

        func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

        /// Waits for the exit (SIGKILL after `timeout`) and collects the output.
        func finish(timeout: Double) -> Result {
            let deadline = Date(timeIntervalSinceNow: timeout)
            var timedOut = false
            while process.isRunning {
                if Date() >= deadline {
                    timedOut = true
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
                usleep(10_000)
            }
            process.waitUntilExit()
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            return Result(status: process.terminationStatus, signalled: process.signalled,
                          timedOut: timedOut, stdout: out, stderr: err)
        }
    }

    /// Runs `platetop args…` to the end (killed after `timeout` seconds).
    static func platetop(_ arguments: [String], timeout: Double = 60, in directory: String? = nil) throws -> Result {
        guard let binary else { throw Missing("platetop binary not found") }
        return try Child(binary, arguments, in: directory).finish(timeout: timeout)
    }

    static func start(_ arguments: [String], in directory: String? = nil) throws -> Child {
        guard let binary else { throw Missing("platetop binary not found") }
        return try Child(binary, arguments, in: directory)
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Whether /usr/bin/python3 imports `modules` ("torch, PIL"). Tests that run a training tool skip
    /// only when it does not, so a tool that fails where its modules are present fails the test.
    static func pythonImports(_ modules: String) -> Bool {
        guard let r = try? Child("/usr/bin/python3", ["-c", "import " + modules]).finish(timeout: 60) else { return false }
        return r.status == 0 && !r.signalled && !r.timedOut
    }

    /// Runs a tool (ffmpeg/ffprobe) to the end; throws on a non-zero exit.
    @discardableResult
    static func tool(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> String {
        let r = try Child(executable, arguments).finish(timeout: timeout)
        guard r.status == 0, !r.signalled, !r.timedOut else {
            throw Missing("\(executable) \(arguments.joined(separator: " ")) failed (\(r.status)): \(r.stderr)")
        }
        return r.stdout
    }

    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    // MARK: Fixtures

    /// A fresh temp folder, removed by `cleanup`.
    static func makeTempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("platetop-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Shared fixtures, made once per test process in one temp folder (removed at exit).
    static let fixtures: String = {
        let dir = (try? makeTempDir()) ?? NSTemporaryDirectory()
        fixturesToRemove.withLock { $0 = dir }
        atexit {
            if let d = CLI.fixturesToRemove.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: d) }
        }
        return dir
    }()
    static let fixturesToRemove = Mutex<String?>(nil)

    /// An H.264 testsrc2 clip; made once per (size, rate, duration).
    /// With `blink`, the whole picture is black for the first half of every second.
    static func clip(width: Int = 320, height: Int = 240, rate: Int = 15, seconds: Double = 3, blink: Bool = false) throws -> String {
        let path = fixtures + "/\(blink ? "blink" : "testsrc2")-\(width)x\(height)-\(rate)-\(seconds).mp4"
        let filter = "testsrc2=size=\(width)x\(height):rate=\(rate):duration=\(seconds)"
            + (blink ? ",drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='lt(mod(t\\,1)\\,0.5)'" : "")
        try clipLock.withLock { _ in
            if !FileManager.default.fileExists(atPath: path) {
                let tmp = path + ".part.mp4"
                try tool(ffmpeg, ["-nostdin", "-v", "error", "-y", "-f", "lavfi",
                                  "-i", filter,
                                  "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", tmp])
                try FileManager.default.moveItem(atPath: tmp, toPath: path)
            }
        }
        return path
    }
    static let clipLock = Mutex(0)

    /// best_effort_timestamp_time of every video frame, from ffprobe.
    static func probeFrameTimes(_ path: String) throws -> [Double] {
        let out = try tool(ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_frames",
                                     "-show_entries", "frame=best_effort_timestamp_time", "-of", "json", path])
        let root = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        let frames = root?["frames"] as? [[String: Any]] ?? []
        return frames.compactMap { ($0["best_effort_timestamp_time"] as? String).flatMap(Double.init) }
    }

    /// A tiny random-weight LPRNet model (valid file, reads garbage), written once. With seed 33 it
    /// reads "" on a flat black crop and strings of "B" on testsrc2 content.
    static let tinyModel: String = {
        let path = fixtures + "/tiny.safetensors"
        let bytes = SafeTensorsFile.serialize(tinyTensors(), metadata: tinyMetadata())
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }()

    typealias RNG = TinyModel.RNG

    /// Tensors of a valid LPRNet-family model; seed 33 reads "" on black crops and "B"s on testsrc2.
    static func tinyTensors(inC: Int = 1, widths: [Int] = [4, 8, 8, 8], classes: Int = 5, seed: UInt64 = 33)
        -> [(name: String, shape: [Int], values: [Float])] {
        TinyModel.tensors(inC: inC, widths: widths, classes: classes, seed: seed)
    }

    static func tinyMetadata(classes: Int = 5) -> [String: String] { TinyModel.metadata(classes: classes) }
}

