import Foundation
import PlatetopCore

/// Everything needed to run one stream: from a stream file, a bare URL/file, and command-line flags.
struct StreamSpec: Sendable {
    var name: String
    /// The real URL or path (may hold credentials; never printed).
    var url: String
    /// The URL with credentials masked, for screens and logs.
    var displayURL: String
    /// Values substituted from the environment (passwords): masked wherever text is shown.
    var secrets: [String] = []
    var transport: String = "tcp"
    var roi: RegionOfInterest?
    var modelPath: String?
    var maxFPS: Double?
    var minConfidence: Float = 0.5
    /// Reads shorter than this (partial plates entering the region) never join events.
    var minLength: Int = 4
    var patterns: [String] = []
    var watchlistPath: String?
    var logPath: String?
    var expectedPlates: [String] = []
    var eventWindow: Double = 2
    var repeatMemory: Double = 60
    var openTimeout: Double = 10
    var readTimeout: Double = 10
    var exitOnFailure = false

    /// Network streams and capture devices are live: they reconnect and are never paced.
    var isLive: Bool { Self.isLive(url) }

    static func isLive(_ url: String) -> Bool {
        let lower = url.lowercased()
        return ["rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://"].contains { lower.hasPrefix($0) }
            || lower.hasPrefix("/dev/video")
    }
}
