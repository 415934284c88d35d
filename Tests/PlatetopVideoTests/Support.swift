import Foundation
import Testing

/// Runs a command and returns its exit status and stdout.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

let ffmpegPath = which("ffmpeg") ?? "/usr/bin/ffmpeg"
let ffprobePath = which("ffprobe") ?? "/usr/bin/ffprobe"

/// A fresh temporary folder inside this run's scratch folder (removed when the test process exits).
func makeTempDirectory(_ label: String) throws -> String {
    let path = scratchDirectory + "/\(label)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs ffmpeg (quiet, overwrite) and fails the test if it fails.
func ffmpeg(_ arguments: [String]) throws {
    let result = try run(ffmpegPath, ["-v", "error", "-y", "-nostdin"] + arguments)
    guard result.status == 0 else {
        throw TestFailure("ffmpeg \(arguments.joined(separator: " ")) exited \(result.status)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Every decoded frame's `best_effort_timestamp_time` according to ffprobe.
func ffprobeTimestamps(_ path: String) throws -> [Double] {
    let result = try run(ffprobePath, ["-v", "error", "-select_streams", "v", "-show_frames",
                                       "-show_entries", "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
    // Lines look like "0.040000" or "0.000000,H.26[45] User Data Unregistered SEI message" (side data).
    return result.stdout.split(whereSeparator: \.isNewline).compactMap { line in
        line.split(separator: ",", omittingEmptySubsequences: false).first.flatMap { Double($0) }
    }
}

/// One scratch folder per test process, deleted at exit.
let scratchDirectory: String = {
    let path = NSTemporaryDirectory() + "platetop-video-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchDirectory) }
    return path
}()

/// Test clips made once per test run with the ffmpeg CLI.
enum Clips {
    static let directory: String = {
        (try? makeTempDirectory("clips")) ?? scratchDirectory
    }()

    /// 320x240, 25 fps, 3 s H.264 in MP4 (time base 1/12800).
    static let h264At25: Result<String, Error> = make("testsrc2-25.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "3",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"])

    /// 30000/1001 fps, 2 s H.264 in MP4 with B-frames (time base 1/30000).
    static let h264NTSC: Result<String, Error> = make("testsrc2-ntsc.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=176x144:rate=30000/1001", "-t", "2",
        "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-pix_fmt", "yuv420p"])

    /// 30000/1001 fps, 2 s H.264 in Matroska (time base 1/1000: pts are rounded milliseconds).
    static let h264NTSCMatroska: Result<String, Error> = make("testsrc2-ntsc.mkv", [
        "-f", "lavfi", "-i", "testsrc2=size=176x144:rate=30000/1001", "-t", "2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])

    /// 1 s at 25 fps (realtime pacing).
    static let oneSecond: Result<String, Error> = make("testsrc2-1s.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "1",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])

    /// 4 s, moov first (faststart), for truncation tests.
    static let fastStart: Result<String, Error> = make("testsrc2-faststart.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10", "-movflags", "+faststart"])

    /// 6 s MPEG-TS (streamable over HTTP).
    static let transportStream: Result<String, Error> = make("testsrc2.ts", [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "6",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10", "-f", "mpegts"])

    private static func make(_ name: String, _ arguments: [String]) -> Result<String, Error> {
        let path = directory + "/" + name
        return Result { try ffmpeg(arguments + [path]); return path }
    }
}

/// A child `python3` TCP server on 127.0.0.1 that the test stops. `script` gets the listening socket as `s`.
final class LocalServer {
    let process = Process()
    let port: Int

    /// Accepts connections and never answers.
    static func silent() throws -> LocalServer {
        try LocalServer(body: """
            conns = []
            while True:
                c, _ = s.accept()
                conns.append(c)
            """)
    }

    /// Answers every connection with an HTTP 200 header and the first `bytes` bytes of `file`, then goes silent.
    static func stallingHTTP(file: String, bytes: Int) throws -> LocalServer {
        try LocalServer(body: """
            data = open(\(pythonString(file)), 'rb').read()[:\(bytes)]
            conns = []
            while True:
                c, _ = s.accept()
                conns.append(c)
                try:
                    c.recv(65536)
                    c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Type: video/mp2t\\r\\n\\r\\n' + data)
                except OSError:
                    pass
            """)
    }

    private init(body: String) throws {
        let script = """
            import socket, sys
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', 0))
            s.listen(8)
            print(s.getsockname()[1], flush=True)

            """ + body
        process.executableURL = URL(fileURLWithPath: which("python3") ?? "/usr/bin/python3")
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Read the port line.
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0a]) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw TestFailure("python3 server did not report a port")
        }
        self.port = port
    }

    func stop() {
        // SIGKILL: a child spawned from a Dispatch worker inherits its blocked SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

private func pythonString(_ s: String) -> String {
    "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
}

/// `../shared/data` relative to the package root, when present.
let sharedData: String? = {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let path = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}()

func elapsed(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
