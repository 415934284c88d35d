import ArgumentParser
import Foundation
import PlatetopCore

/// Turns a command-line stream argument (URL, file, or stream .toml) into a `StreamSpec`.
enum StreamFiles {
    static func spec(for argument: String, allowLive: Bool) throws -> StreamSpec {
        if argument.lowercased().hasSuffix(".toml") {
            return try spec(from: load(argument))
        }
        let config: StreamConfig
        do { config = try StreamConfig.fromURL(argument) } catch { throw RuntimeFailure(error.message) }
        if StreamSpec.isLive(config.url) {
            guard allowLive else { throw ValidationError("'\(config.displayURL)' is a live stream: use platetop watch") }
            return spec(from: config)
        }
        guard FileManager.default.fileExists(atPath: argument) else {
            throw RuntimeFailure("cannot open '\(argument)': No such file or directory")
        }
        // A stream file beside the video (demo.mp4 + demo.toml) describes it.
        let sibling = (argument as NSString).deletingPathExtension + ".toml"
        if FileManager.default.fileExists(atPath: sibling) {
            let described = try load(sibling)
            if URL(fileURLWithPath: described.url).standardized.path == URL(fileURLWithPath: argument).standardized.path {
                var s = spec(from: described)
                s.url = argument
                s.displayURL = argument
                return s
            }
        }
        return spec(from: config)
    }

    static func load(_ path: String) throws -> StreamConfig {
        do { return try StreamConfig.load(path: path) } catch { throw RuntimeFailure(error.message) }
    }

    /// Program defaults filled in where the stream file is silent.
    static func spec(from c: StreamConfig) -> StreamSpec {
        var s = StreamSpec(name: c.name, url: c.url, displayURL: c.displayURL)
        s.secrets = c.secrets
        s.transport = c.transport.rawValue
        s.roi = c.roi
        s.modelPath = c.model
        s.maxFPS = c.maxFPS
        if let v = c.minConfidence { s.minConfidence = Float(v) }
        s.patterns = c.patterns.map(\.source)
        s.watchlistPath = c.watchlist
        s.logPath = c.log
        s.expectedPlates = c.expectedPlates
        if let v = c.eventWindow { s.eventWindow = v }
        if let v = c.repeatMemory { s.repeatMemory = v }
        if let v = c.openTimeout { s.openTimeout = v }
        if let v = c.readTimeout { s.readTimeout = v }
        s.exitOnFailure = c.exitOnFailure
        return s
    }
}
