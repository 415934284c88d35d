import ArgumentParser
import Foundation
import PlatetopCore

/// `platetop replay FILE`: recorded footage through the whole pipeline.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a video file (or a stream .toml) through the pipeline.",
        discussion: """
        With --headless, prints one JSON object per read to stdout ({"type":"read","frame","pts","text","confidence","roi"}) \
        and one per closed vehicle event ({"type":"event",...}, the detection-log line), then a summary line to stderr. \
        When FILE.mp4 has a FILE.toml beside it (like streams/demo.toml), its roi and settings are used.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var monitor: MonitorOptions

    @Option(help: "File pacing: fast (as fast as possible) or realtime (frames at their pts).")
    var pace: Pace = .fast

    @Option(help: "Start at this many seconds into the file.")
    var start: Double?

    @Option(help: "Stop after this many decoded frames.")
    var maxFrames: Int?

    @Flag(help: "Never drop frames: decoding waits for recognition (lossless replay into a log).")
    var noDrop = false

    @Flag(help: "Keep the dashboard open at the end of the file until q.")
    var hold = false

    @Argument(help: "A video file, or a stream .toml describing one.")
    var file: String

    func validate() throws {
        if let s = start, !(s >= 0) { throw ValidationError("--start must be >= 0 seconds") }
        if let m = maxFrames, m < 1 { throw ValidationError("--max-frames must be >= 1") }
    }

    func run() throws {
        var spec = try StreamFiles.spec(for: file, allowLive: false)
        try monitor.apply(to: &spec)
        let session = try MonitorSession(specs: [spec], settings: .init(
            headless: monitor.headless, pace: pace, startSeconds: start, maxFrames: maxFrames, noDrop: noDrop,
            logPathOverride: monitor.log, noLog: monitor.noLog, dump: monitor.dumpFormat, dumpPath: monitor.dumpPath,
            theme: monitor.theme, modelOptions: modelOptions, reconnect: false, holdAtEnd: hold))
        let code = try session.run()
        if code != 0 { throw ExitCode(code) }
    }
}

extension Pace: ExpressibleByArgument {}
