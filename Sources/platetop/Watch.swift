import ArgumentParser
import Foundation
import PlatetopCore

/// `platetop watch URL|STREAM.toml...`: live cameras (RTSP, HTTP, V4L2) or files, one tab each.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch live streams (rtsp://, http(s)://, /dev/videoN) or stream files, reconnecting on loss.",
        discussion: """
        Several streams run side by side (one pipeline each) and show as dashboard tabs (Tab / 1-9). \
        A lost stream reconnects with capped exponential backoff; with --exit-on-failure the first \
        failure ends platetop with exit code 1 instead. Credentials in URLs are never printed.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var monitor: MonitorOptions

    @Option(help: "RTSP transport: tcp or udp.")
    var transport: Transport?

    @Option(help: "Seconds to wait for a stream to open.")
    var openTimeout: Double?

    @Option(help: "Seconds without data before a stream counts as stalled.")
    var readTimeout: Double?

    @Flag(help: "Exit with an error when a stream cannot be opened or is lost, instead of reconnecting.")
    var exitOnFailure = false

    @Argument(help: "Stream URLs, device paths, files, or stream .toml files.")
    var streams: [String]

    enum Transport: String, ExpressibleByArgument, CaseIterable { case tcp, udp }

    func validate() throws {
        if streams.isEmpty { throw ValidationError("give at least one stream URL or .toml file") }
        if let t = openTimeout, !(t > 0) { throw ValidationError("--open-timeout must be > 0 seconds") }
        if let t = readTimeout, !(t > 0) { throw ValidationError("--read-timeout must be > 0 seconds") }
    }

    func run() throws {
        var specs: [StreamSpec] = []
        for s in streams {
            var spec = try StreamFiles.spec(for: s, allowLive: true)
            try monitor.apply(to: &spec)
            if let t = transport { spec.transport = t.rawValue }
            if let t = openTimeout { spec.openTimeout = t }
            if let t = readTimeout { spec.readTimeout = t }
            if exitOnFailure { spec.exitOnFailure = true }
            specs.append(spec)
        }
        let names = specs.map(\.name)
        if Set(names).count != names.count {
            throw ValidationError("stream names must be distinct (got \(names.joined(separator: ", ")))")
        }
        let session = try MonitorSession(specs: specs, settings: .init(
            headless: monitor.headless, pace: .realtime, startSeconds: nil, maxFrames: nil, noDrop: false,
            logPathOverride: monitor.log, noLog: monitor.noLog, dump: monitor.dumpFormat, dumpPath: monitor.dumpPath,
            theme: monitor.theme, modelOptions: modelOptions, reconnect: true, holdAtEnd: false))
        let code = try session.run()
        if code != 0 { throw ExitCode(code) }
    }
}
