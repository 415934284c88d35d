import Foundation

/// The whole session written on exit by `--dump csv|json`: one row (or object) per vehicle event,
/// in the order the events closed — unlike the deduplicated `ExitSummary` table.
public enum SessionDump {
    /// CSV header of `csv(_:)`.
    public static let csvHeader = "id,stream,plate,raw_text,confidence,sightings,first_pts,last_pts,first_seen,last_seen,watchlist,crop,candidates"

    /// One line per event; `candidates` is `TEXT:VOTES` joined by spaces. Times are ISO 8601 with offset.
    public static func csv(_ events: [PlateEvent], timeZone: TimeZone = .current) -> String {
        var out = csvHeader + "\n"
        for e in events {
            let fields = [
                e.id, e.stream, e.text, e.rawText, ExitSummary.fixed(Double(e.confidence), 4), String(e.sightings),
                ExitSummary.fixed(e.firstPts, 3), ExitSummary.fixed(e.lastPts, 3),
                LogTimestamp.string(from: e.firstSeen, timeZone: timeZone),
                LogTimestamp.string(from: e.lastSeen, timeZone: timeZone),
                e.watchlistLabel ?? "", e.cropPath ?? "",
                e.candidates.map { "\($0.text):\($0.votes)" }.joined(separator: " "),
            ]
            out += fields.map(ExitSummary.csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// A JSON array of the events' detection-log objects, one per line.
    public static func json(_ events: [PlateEvent], timeZone: TimeZone = .current) -> String {
        if events.isEmpty { return "[]\n" }
        let lines = events.map { e -> String in
            var line = DetectionLog.encodeLine(e, timeZone: timeZone)
            while line.hasSuffix("\n") { line.removeLast() }
            return line
        }
        return "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    }

    /// Writes the dump to `path` (replacing it), or to stdout when `path` is `-`.
    /// - Throws: `DetectionLog.Failure` naming the file when it cannot be written.
    public static func write(_ format: ExitSummary.DumpFormat, events: [PlateEvent], to path: String,
                             timeZone: TimeZone = .current) throws(DetectionLog.Failure) {
        let text = format == .csv ? csv(events, timeZone: timeZone) : json(events, timeZone: timeZone)
        try ExitSummary.writeText(text, to: path, what: "dump")
    }
}
