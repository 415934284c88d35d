import ArgumentParser
import Foundation
import PlatetopCore

/// Tracking, log and display options shared by `replay` and `watch`.
struct MonitorOptions: ParsableArguments {
    @Option(help: "Region where plates appear, x,y,w,h in pixels or fractions (overrides the stream file).")
    var roi: String?

    @Flag(help: "No dashboard: print JSON lines (reads and closed events) to stdout, status and summary to stderr.")
    var headless = false

    @Option(help: "Dashboard theme: a name from themes/ or a path to a .toml file.")
    var theme: String?

    @Option(help: "Seconds without a matching read after which a vehicle event closes.")
    var eventWindow: Double?

    @Option(help: "Seconds during which the same plate seen again is not a new event.")
    var repeatMemory: Double?

    @Option(help: "Reads below this confidence (0...1) never make an event on their own.")
    var minConfidence: Double?

    @Option(help: "Reads with fewer characters than this (partial plates) never join events.")
    var minLength: Int?

    @Option(help: "Watchlist TOML file ([[plate]] entries with plate or regex, label, max_distance).")
    var watchlist: String?

    @Option(name: .customLong("pattern"), help: "Plate format regex (repeatable); a read matching none becomes the best candidate text one allows, near matches are fixed with O/0-style swaps.")
    var patterns: [String] = []

    @Option(help: "Detection log (JSON lines, flushed per event). Default: platetop-DATE-STREAM.jsonl here.")
    var log: String?

    @Flag(help: "Do not write a detection log.")
    var noLog = false

    @Option(help: "Also write the whole session on exit: csv, json or none.")
    var dump: DumpKind = .none

    @Option(help: "Where --dump writes (default platetop-session-DATE.csv|json; - for stdout).")
    var dumpPath: String?

    @Option(help: "Recognise at most this many frames per second (decode everything).")
    var maxFps: Double?

    enum DumpKind: String, ExpressibleByArgument, CaseIterable { case csv, json, none }

    func validate() throws {
        _ = try parseRegion(roi)
        if let v = eventWindow, !(v > 0) { throw ValidationError("--event-window must be > 0 seconds") }
        if let v = repeatMemory, !(v >= 0) { throw ValidationError("--repeat-memory must be >= 0 seconds") }
        if let v = minConfidence, !(0...1).contains(v) { throw ValidationError("--min-confidence must be within 0...1") }
        if let v = minLength, !(1...16).contains(v) { throw ValidationError("--min-length must be within 1...16") }
        if let v = maxFps, !(v > 0) { throw ValidationError("--max-fps must be > 0") }
        try validatePatterns(patterns)
    }

    /// Applies these flags on top of a stream's own settings (flags win).
    func apply(to spec: inout StreamSpec) throws {
        if let r = try parseRegion(roi) { spec.roi = r }
        if let v = eventWindow { spec.eventWindow = v }
        if let v = repeatMemory { spec.repeatMemory = v }
        if let v = minConfidence { spec.minConfidence = Float(v) }
        if let v = minLength { spec.minLength = v }
        if let v = watchlist { spec.watchlistPath = v }
        if !patterns.isEmpty { spec.patterns = patterns }
        if let v = maxFps { spec.maxFPS = v }
    }

    var dumpFormat: ExitSummary.DumpFormat? {
        switch dump {
        case .csv: return .csv
        case .json: return .json
        case .none: return nil
        }
    }
}
