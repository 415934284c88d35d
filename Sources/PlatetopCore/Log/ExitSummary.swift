import Foundation

/// The table printed when platetop exits: one row per distinct plate text, plus `--dump csv|json`.
///
/// All output is built by pure functions from events (and the tracker's suppressed re-sightings);
/// times are shown in an injected time zone.
public struct ExitSummary: Sendable, Equatable {
    /// One distinct plate.
    public struct Row: Sendable, Equatable {
        /// The plate text (after format repair).
        public let plate: String
        /// Streams it was seen on, sorted.
        public let streams: [String]
        /// Times it was seen: its events plus suppressed re-sightings of them.
        public let sightings: Int
        /// Events logged for it.
        public let events: Int
        /// Reads (frames) over its events.
        public let reads: Int
        /// Highest event confidence.
        public let bestConfidence: Float
        public let firstSeen: Date
        /// Latest sighting, suppressed re-sightings included.
        public let lastSeen: Date
        /// Watchlist label (the first event's that has one).
        public let watchlist: String?
    }

    /// Output formats of `--dump`.
    public enum DumpFormat: String, Sendable, CaseIterable {
        case csv, json
    }

    /// Rows ordered by first sighting, then plate.
    public let rows: [Row]
    /// Total suppressed re-sightings.
    public let suppressedSightings: Int
    /// Total events.
    public let eventCount: Int

    /// Groups events by plate text.
    /// - Parameters:
    ///   - events: Logged events (any order, any streams).
    ///   - resightings: `PlateTracker.resightings`, keyed by event id.
    public init(events: [PlateEvent], resightings: [String: PlateTracker.Resightings] = [:]) {
        var order: [String] = []
        var groups: [String: [PlateEvent]] = [:]
        for e in events {
            if groups[e.text] == nil { order.append(e.text) }
            groups[e.text, default: []].append(e)
        }
        rows = order.map { plate -> Row in
            let g = groups[plate]!
            let extra = g.compactMap { resightings[$0.id] }
            return Row(
                plate: plate,
                streams: Array(Set(g.map(\.stream))).sorted(),
                sightings: g.count + extra.reduce(0) { $0 + $1.count },
                events: g.count,
                reads: g.reduce(0) { $0 + $1.sightings },
                bestConfidence: g.map(\.confidence).max() ?? 0,
                firstSeen: g.map(\.firstSeen).min()!,
                lastSeen: (g.map(\.lastSeen) + extra.map(\.lastSeen)).max()!,
                watchlist: g.sorted { $0.firstSeen < $1.firstSeen }.lazy.compactMap(\.watchlistLabel).first)
        }.sorted { ($0.firstSeen, $0.plate) < ($1.firstSeen, $1.plate) }
        eventCount = events.count
        suppressedSightings = rows.reduce(0) { $0 + $1.sightings - $1.events }
    }

    /// An aligned plain-text table for stdout, each line ending in `\n`, no trailing spaces.
    ///
    /// ```
    /// PLATE    SEEN  READS  BEST  FIRST SEEN           LAST SEEN            WATCHLIST
    /// ABC1234     2     16  0.93  2026-11-23 12:34:56  2026-11-23 12:40:02  stolen
    /// 1 plate, 2 sightings (1 event, 1 repeat suppressed)
    /// ```
    /// A STREAM column is added when the rows span more than one stream.
    public func table(timeZone: TimeZone = .current) -> String {
        if rows.isEmpty { return "No plates detected.\n" }
        let multiStream = Set(rows.flatMap(\.streams)).count > 1
        var header = ["PLATE"]
        if multiStream { header.append("STREAM") }
        header += ["SEEN", "READS", "BEST", "FIRST SEEN", "LAST SEEN", "WATCHLIST"]
        let rightAligned: Set<String> = ["SEEN", "READS", "BEST"]
        var cells = [header]
        for r in rows {
            var line = [r.plate]
            if multiStream { line.append(r.streams.joined(separator: ",")) }
            line += [String(r.sightings), String(r.reads), Self.fixed(Double(r.bestConfidence), 2),
                     Self.shortTime(r.firstSeen, timeZone), Self.shortTime(r.lastSeen, timeZone), r.watchlist ?? ""]
            cells.append(line)
        }
        let widths = header.indices.map { c in cells.map { PlateText.displayWidth($0[c]) }.max()! }
        var out = ""
        for line in cells {
            var text = ""
            for (c, cell) in line.enumerated() {
                let padding = String(repeating: " ", count: widths[c] - PlateText.displayWidth(cell))
                if c > 0 { text += "  " }
                text += rightAligned.contains(header[c]) ? padding + cell : cell + padding
            }
            while text.last == " " { text.removeLast() }
            out += text + "\n"
        }
        let sightings = rows.reduce(0) { $0 + $1.sightings }
        out += "\(Self.count(rows.count, "plate")), \(Self.count(sightings, "sighting")) "
            + "(\(Self.count(eventCount, "event")), \(Self.count(suppressedSightings, "repeat")) suppressed)\n"
        return out
    }

    /// CSV with a header row: `plate,streams,sightings,events,reads,best_confidence,first_seen,last_seen,watchlist`.
    /// Times are ISO 8601 with offset; fields are quoted per RFC 4180 when needed; lines end in `\n`.
    public func csv(timeZone: TimeZone = .current) -> String {
        var out = "plate,streams,sightings,events,reads,best_confidence,first_seen,last_seen,watchlist\n"
        for r in rows {
            let fields = [r.plate, r.streams.joined(separator: " "), String(r.sightings), String(r.events), String(r.reads),
                          Self.fixed(Double(r.bestConfidence), 3),
                          LogTimestamp.string(from: r.firstSeen, timeZone: timeZone),
                          LogTimestamp.string(from: r.lastSeen, timeZone: timeZone), r.watchlist ?? ""]
            out += fields.map(Self.csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// A JSON array of row objects with the CSV's keys (`streams` as an array, `watchlist` null when none),
    /// pretty-printed with sorted keys, ending in `\n`.
    public func json(timeZone: TimeZone = .current) -> String {
        let objects: [[String: Any]] = rows.map { r in
            [
                "plate": r.plate, "streams": r.streams, "sightings": r.sightings, "events": r.events, "reads": r.reads,
                "best_confidence": PlateEvent.round(Double(r.bestConfidence), digits: 3),
                "first_seen": LogTimestamp.string(from: r.firstSeen, timeZone: timeZone),
                "last_seen": LogTimestamp.string(from: r.lastSeen, timeZone: timeZone),
                "watchlist": r.watchlist.map { $0 as Any } ?? NSNull(),
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects,
                                                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `csv` or `json`.
    public func dump(_ format: DumpFormat, timeZone: TimeZone = .current) -> String {
        switch format {
        case .csv: csv(timeZone: timeZone)
        case .json: json(timeZone: timeZone)
        }
    }

    /// Writes `dump(format)` to `path` (replacing it), or to stdout when `path` is `-`.
    /// - Throws: `DetectionLog.Failure` naming the file when it cannot be written.
    public func write(_ format: DumpFormat, to path: String, timeZone: TimeZone = .current) throws(DetectionLog.Failure) {
        try Self.writeText(dump(format, timeZone: timeZone), to: path, what: "summary")
    }

    /// Writes `text` to `path` atomically (creating its folder), or to stdout when `path` is `-`.
    /// - Throws: `DetectionLog.Failure` "cannot write WHAT 'PATH': reason".
    static func writeText(_ text: String, to path: String, what: String) throws(DetectionLog.Failure) {
        if path == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DetectionLog.Failure("cannot write \(what) '\(path)': \(DetectionLog.describe(error))")
        }
    }

    // MARK: - Formatting

    static func fixed(_ v: Double, _ digits: Int) -> String {
        let scale = Int(pow(10.0, Double(digits)))
        let n = Int((max(0, v) * Double(scale)).rounded())
        let frac = String(n % scale)
        return "\(n / scale)." + String(repeating: "0", count: digits - frac.count) + frac
    }

    static func shortTime(_ date: Date, _ zone: TimeZone) -> String {
        let s = LogTimestamp.string(from: date, timeZone: zone)
        return String(s.prefix(10)) + " " + String(s.dropFirst(11).prefix(8))
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || s.first == " " || s.last == " " else {
            return s
        }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
